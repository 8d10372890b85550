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

    /// <summary>Every kind's table, in creation order: the schema is what the kinds registered here bring.</summary>
    private static readonly SqliteTable[] Tables =
    [
        SqliteCacheSql.Table,
        SqliteCacheSql.TagsTable,
        SqliteCircuitSql.Table,
        SqliteCheckpointSql.Table,
        SqliteIdempotencySql.Table,
        SqliteLockSql.Table,
        SqliteSemaphoreSql.Table,
        SqliteRateLimitSql.Table,
    ];

    // The one place the SQLite backend registers its kinds: each kind's provider here, and its table above.
    private AdapterCore CreateCore()
    {
        var context = new SqliteContext(this);
        return new(Options, DataSource, this, new BackendProviders
        {
            Cache = new SqliteCacheProvider(context),
            DatabaseLocks = () => new SqliteLockProvider(context),
            CircuitBreakers = new SqliteCircuitBreakerStateProvider(context),
            Checkpoints = new SqliteCheckpointProvider(context),
            Idempotency = new SqliteIdempotencyProvider(context),
            Semaphores = new SqliteSemaphoreProvider(context),
            RateLimits = new SqliteRateLimitProvider(context),
            Store = new SqliteStoreStats(context),
        });
    }
}
