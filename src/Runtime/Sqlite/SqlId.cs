namespace NativeAotPersistence.Sqlite;

/// <summary>Identifies one constant SQL text; each connection prepares it once and reuses the statement.</summary>
internal enum SqlId
{
    BeginImmediate,
    Commit,
    SavepointWrite,
    ReleaseWrite,
    RollbackToWrite,
    SavepointTransaction,
    ReleaseTransaction,
    SchemaObjects,
    MetaGet,

    CacheGet,
    CacheSet,
    CacheAdd,
    CacheDelete,
    CacheHas,
    CacheClear,
    CacheKeys,
    CacheSweep,
    CacheSetEntry,
    CacheRefresh,

    CircuitGet,
    CircuitSet,
    CircuitFailure,
    CircuitSuccess,

    CheckpointSave,
    CheckpointLatest,
    CheckpointLoad,
    CheckpointList,
    CheckpointListInfo,
    CheckpointCleanup,
    CheckpointDeleteAll,

    IdempotencyGet,
    IdempotencySet,
    IdempotencyDelete,
    IdempotencyAdd,
    IdempotencySweep,

    LockSelect,
    LockNextToken,
    LockUpsert,
    LockExtend,
    LockRelease,
    LockForceRelease,
    LockInfo,
    LockSweep,

    AdminCacheCounts,
    AdminIdempotencyCounts,
    AdminLockCounts,
    AdminCircuits,
    AdminCheckpointCounts,
    AdminTasks,
    AdminLocks,
    AdminIdempotency,

    // Count must stay last: it sizes each connection's statement cache.
    Count,
}
