using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

public sealed partial class SqliteAdapter : IAdapterLifecycle
{
    private static long s_lastMemoryId;
    private string? _storeIdentity;

    /// <summary>
    /// Gets what tells this adapter's database from every other of the process: the file SQLite opened (its full path,
    /// as SQLite resolves it), or a number of this adapter's own for a private <c>:memory:</c> database.
    /// </summary>
    internal string StoreIdentity => _storeIdentity ??= SqliteNative.DataSourceOf(Pool.Writer.Handle) is var file && file != ":memory:"
        ? file
        : ":memory:#" + Interlocked.Increment(ref s_lastMemoryId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default) => _core.PruneAsync(cancellationToken);

    void IAdapterLifecycle.EnsureConnected() => _ = Pool;

    private AdapterCore CreateCore() => new(Options, DataSource, this, new BackendProviders
    {
        Cache = new SqliteCacheProvider(this),
        DatabaseLocks = () => new SqliteLockProvider(this),
        CircuitBreakers = new SqliteCircuitBreakerStateProvider(this),
        Checkpoints = new SqliteCheckpointProvider(this),
        Idempotency = new SqliteIdempotencyProvider(this),
        Store = new SqliteStoreStats(this),
    });
}
