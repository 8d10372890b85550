namespace NativeAotPersistence;

/// <summary>What <see cref="IPersistenceAdmin.GetStatsAsync"/> reports, for the adapter's prefix.</summary>
/// <remarks>
/// Not positional: the store fills its own members (<see cref="SchemaVersion"/> to <see cref="FreePages"/>) and each
/// kind fills its counts, so a kind added later adds a property without breaking code that reads the others.
/// </remarks>
public sealed record PersistenceStats
{
    /// <summary>Gets the schema version recorded in the store.</summary>
    public int SchemaVersion { get; init; }

    /// <summary>Gets the file path (or <c>:memory:</c>, <c>in-memory</c>, or the server).</summary>
    public string DataSource { get; init; } = "";

    /// <summary>Gets the bytes of the database file and its WAL; 0 in memory and on a server.</summary>
    public long SizeOnDisk { get; init; }

    /// <summary>Gets the database page size in bytes; 0 where there are no pages.</summary>
    public long PageSize { get; init; }

    /// <summary>Gets the pages in the database file.</summary>
    public long PageCount { get; init; }

    /// <summary>Gets the unused pages in the database file.</summary>
    public long FreePages { get; init; }

    /// <summary>Gets the live and expired cache entries.</summary>
    public RowCounts Cache { get; init; }

    /// <summary>Gets the stored circuit breakers.</summary>
    public int Circuits { get; init; }

    /// <summary>Gets the stored checkpoints.</summary>
    public int Checkpoints { get; init; }

    /// <summary>Gets the tasks with at least one checkpoint.</summary>
    public int Tasks { get; init; }

    /// <summary>Gets the live and expired idempotency records.</summary>
    public RowCounts Idempotency { get; init; }

    /// <summary>
    /// Gets the live and expired locks: held by this adapter in <see cref="LockScope.Process"/>, stored in
    /// <see cref="LockScope.Database"/>.
    /// </summary>
    public RowCounts Locks { get; init; }

    /// <summary>Gets the live and expired semaphore permits.</summary>
    public RowCounts Semaphores { get; init; }

    /// <summary>Gets the live and expired (idle) rate-limit states.</summary>
    public RowCounts RateLimits { get; init; }
}
