namespace NativeAotPersistence;

/// <summary>What <see cref="IPersistenceAdmin.GetStatsAsync"/> reports, for the adapter's prefix.</summary>
/// <param name="SchemaVersion">The schema version recorded in the store.</param>
/// <param name="DataSource">The file path (or <c>:memory:</c>, or the server).</param>
/// <param name="SizeOnDisk">Bytes of the database file and its WAL; 0 in memory.</param>
/// <param name="PageSize">The database page size in bytes; 0 where there are no pages.</param>
/// <param name="PageCount">Pages in the database file.</param>
/// <param name="FreePages">Unused pages in the database file.</param>
/// <param name="Cache">Cache entries.</param>
/// <param name="Circuits">Stored circuit breakers.</param>
/// <param name="Checkpoints">Stored checkpoints.</param>
/// <param name="Tasks">Tasks with at least one checkpoint.</param>
/// <param name="Idempotency">Idempotency records.</param>
/// <param name="Locks">Locks (held by this adapter in <see cref="LockScope.Process"/>, stored in <see cref="LockScope.Database"/>).</param>
public sealed record PersistenceStats(
    int SchemaVersion,
    string DataSource,
    long SizeOnDisk,
    long PageSize,
    long PageCount,
    long FreePages,
    RowCounts Cache,
    int Circuits,
    int Checkpoints,
    int Tasks,
    RowCounts Idempotency,
    RowCounts Locks);

/// <summary>Live and expired rows of one kind. Expired rows are invisible to the providers and reclaimed by pruning.</summary>
/// <param name="Live">Rows that are live now.</param>
/// <param name="Expired">Rows past their expiry, not reclaimed yet.</param>
public readonly record struct RowCounts(int Live, int Expired);
