namespace NativeAotPersistence;

/// <summary>What <see cref="IPersistenceAdmin.CompactAsync"/> did: the store's size before and after, and how long it took.</summary>
/// <remarks>
/// A plain class, as <see cref="SemaphoreInfo"/>: a record's generated members cost the size-gated NativeAOT sample
/// more than they give here, and a class shares the generic async code of every other reference-type result. Sizes are
/// what <see cref="PersistenceStats.SizeOnDisk"/> counts on SQLite (the database file and its <c>-wal</c>; 0 for
/// <c>:memory:</c>), the library's tables with their indexes and TOAST on PostgreSQL, and 0 in memory.
/// </remarks>
public sealed class CompactResult
{
    /// <summary>Gets the store's size in bytes just before compacting.</summary>
    public long SizeBefore { get; init; }

    /// <summary>Gets the store's size in bytes once compacted.</summary>
    public long SizeAfter { get; init; }

    /// <summary>Gets how long the compaction took, waits for a busy database included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// Gets whether the store reached its compacted size. <see langword="false"/> only on SQLite in WAL mode, when a
    /// connection (another process's, or one of this adapter's readers serving a read) kept reading an older snapshot
    /// until the call's <see cref="PersistenceAdapterOptions.BusyTimeout"/>, counted from the call, <c>VACUUM</c>
    /// included, was nearly spent, or when the call was cancelled after the <c>VACUUM</c> committed: the data is
    /// compacted, but the compacted pages still wait in the <c>-wal</c>
    /// file (so <see cref="SizeAfter"/> may exceed <see cref="SizeBefore"/>) until a checkpoint after that reader
    /// finished, such as the next <see cref="IPersistenceAdmin.CompactAsync"/> or the last connection's close.
    /// </summary>
    public bool IsComplete { get; init; }

    /// <summary>Gets the bytes given back: <see cref="SizeBefore"/> less <see cref="SizeAfter"/> (negative when the store grew).</summary>
    public long Reclaimed => SizeBefore - SizeAfter;
}
