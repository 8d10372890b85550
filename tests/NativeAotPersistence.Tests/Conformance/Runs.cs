namespace NativeAotPersistence.Tests.Conformance;

// Every suite against every backend: (a) SQLite :memory:, (b) a WAL file, (c) a borrowed handle, (d) InMemoryPersistence,
// (e) PostgreSQL on the throwaway test server.
public sealed class CacheConformance_SqliteMemory : CacheConformance<SqliteMemoryBackend>;

public sealed class CacheConformance_SqliteFile : CacheSharedStoreConformance<SqliteFileBackend>;

public sealed class CacheConformance_SqliteBorrowed : CacheSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class CacheConformance_InMemory : CacheSharedStoreConformance<InMemoryBackend>;

public sealed class CacheConformance_Postgres : CacheSharedStoreConformance<PostgresBackend>;

public sealed class LockConformance_SqliteMemory : LockConformance<SqliteMemoryBackend>;

public sealed class LockConformance_SqliteFile : LockSharedStoreConformance<SqliteFileBackend>;

public sealed class LockConformance_SqliteBorrowed : LockSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class LockConformance_InMemory : LockSharedStoreConformance<InMemoryBackend>;

public sealed class LockConformance_Postgres : LockSharedStoreConformance<PostgresBackend>;

public sealed class CircuitBreakerConformance_SqliteMemory : CircuitBreakerConformance<SqliteMemoryBackend>;

public sealed class CircuitBreakerConformance_SqliteFile : CircuitBreakerSharedStoreConformance<SqliteFileBackend>;

public sealed class CircuitBreakerConformance_SqliteBorrowed : CircuitBreakerSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class CircuitBreakerConformance_InMemory : CircuitBreakerSharedStoreConformance<InMemoryBackend>;

public sealed class CircuitBreakerConformance_Postgres : CircuitBreakerSharedStoreConformance<PostgresBackend>;

public sealed class CheckpointConformance_SqliteMemory : CheckpointConformance<SqliteMemoryBackend>;

public sealed class CheckpointConformance_SqliteFile : CheckpointSharedStoreConformance<SqliteFileBackend>;

public sealed class CheckpointConformance_SqliteBorrowed : CheckpointSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class CheckpointConformance_InMemory : CheckpointSharedStoreConformance<InMemoryBackend>;

public sealed class CheckpointConformance_Postgres : CheckpointSharedStoreConformance<PostgresBackend>;

public sealed class IdempotencyConformance_SqliteMemory : IdempotencyConformance<SqliteMemoryBackend>;

public sealed class IdempotencyConformance_SqliteFile : IdempotencySharedStoreConformance<SqliteFileBackend>;

public sealed class IdempotencyConformance_SqliteBorrowed : IdempotencySharedStoreConformance<SqliteBorrowedBackend>;

public sealed class IdempotencyConformance_InMemory : IdempotencySharedStoreConformance<InMemoryBackend>;

public sealed class IdempotencyConformance_Postgres : IdempotencySharedStoreConformance<PostgresBackend>;

public sealed class LifecycleConformance_SqliteMemory : LifecycleConformance<SqliteMemoryBackend>;

public sealed class LifecycleConformance_SqliteFile : LifecycleConformance<SqliteFileBackend>;

public sealed class LifecycleConformance_SqliteBorrowed : LifecycleConformance<SqliteBorrowedBackend>;

public sealed class LifecycleConformance_InMemory : LifecycleConformance<InMemoryBackend>;

public sealed class LifecycleConformance_Postgres : LifecycleConformance<PostgresBackend>;

public sealed class KeyMatrixConformance_SqliteMemory : KeyMatrixConformance<SqliteMemoryBackend>;

public sealed class KeyMatrixConformance_SqliteFile : KeyMatrixSharedStoreConformance<SqliteFileBackend>;

public sealed class KeyMatrixConformance_SqliteBorrowed : KeyMatrixSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class KeyMatrixConformance_InMemory : KeyMatrixSharedStoreConformance<InMemoryBackend>;

public sealed class KeyMatrixConformance_Postgres : KeyMatrixSharedStoreConformance<PostgresBackend>;

public sealed class StorageConformance_SqliteMemory : StorageConformance<SqliteMemoryBackend>;

public sealed class StorageConformance_SqliteFile : StorageSharedStoreConformance<SqliteFileBackend>;

public sealed class StorageConformance_SqliteBorrowed : StorageSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class StorageConformance_InMemory : StorageSharedStoreConformance<InMemoryBackend>;

public sealed class StorageConformance_Postgres : StorageSharedStoreConformance<PostgresBackend>;

public sealed class AdminConformance_SqliteFile : AdminSharedStoreConformance<SqliteFileBackend>;

public sealed class AdminConformance_SqliteBorrowed : AdminSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class AdminConformance_InMemory : AdminSharedStoreConformance<InMemoryBackend>;

public sealed class AdminConformance_Postgres : AdminSharedStoreConformance<PostgresBackend>;

public sealed class SemaphoreConformance_SqliteMemory : SemaphoreConformance<SqliteMemoryBackend>;

public sealed class SemaphoreConformance_SqliteFile : SemaphoreSharedStoreConformance<SqliteFileBackend>;

public sealed class SemaphoreConformance_SqliteBorrowed : SemaphoreSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class SemaphoreConformance_InMemory : SemaphoreSharedStoreConformance<InMemoryBackend>;

public sealed class SemaphoreConformance_Postgres : SemaphoreSharedStoreConformance<PostgresBackend>;

public sealed class RateLimitConformance_SqliteMemory : RateLimitConformance<SqliteMemoryBackend>;

public sealed class RateLimitConformance_SqliteFile : RateLimitSharedStoreConformance<SqliteFileBackend>;

public sealed class RateLimitConformance_SqliteBorrowed : RateLimitSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class RateLimitConformance_InMemory : RateLimitSharedStoreConformance<InMemoryBackend>;

public sealed class RateLimitConformance_Postgres : RateLimitSharedStoreConformance<PostgresBackend>;

public sealed class CircuitStoreConformance_SqliteMemory : CircuitStoreConformance<SqliteMemoryBackend>;

public sealed class CircuitStoreConformance_SqliteFile : CircuitStoreSharedStoreConformance<SqliteFileBackend>;

public sealed class CircuitStoreConformance_SqliteBorrowed : CircuitStoreSharedStoreConformance<SqliteBorrowedBackend>;

public sealed class CircuitStoreConformance_InMemory : CircuitStoreSharedStoreConformance<InMemoryBackend>;

public sealed class CircuitStoreConformance_Postgres : CircuitStoreSharedStoreConformance<PostgresBackend>;

public sealed class CompactionConformance_SqliteMemory : CompactionConformance<SqliteMemoryBackend>;

public sealed class CompactionConformance_SqliteFile : CompactionConformance<SqliteFileBackend>;

public sealed class CompactionConformance_SqliteBorrowed : CompactionConformance<SqliteBorrowedBackend>;

public sealed class CompactionConformance_InMemory : CompactionConformance<InMemoryBackend>;

public sealed class CompactionConformance_Postgres : CompactionConformance<PostgresBackend>;
