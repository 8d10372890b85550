using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

public sealed partial class SqliteAdapter : IAdapterLifecycle
{
    private static long s_lastMemoryId;
    private SqliteAdmin? _admin;
    private string? _storeIdentity;

    /// <summary>
    /// Gets what tells this adapter's database from every other of the process: the file SQLite opened (its full path,
    /// as SQLite resolves it), or a number of this adapter's own for a private <c>:memory:</c> database.
    /// </summary>
    internal string StoreIdentity => _storeIdentity ??= SqliteNative.DataSourceOf(Pool.Writer.Handle) is var file && file != ":memory:"
        ? file
        : ":memory:#" + Interlocked.Increment(ref s_lastMemoryId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public async ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default)
    {
        _ = Pool;
        var cache = await ((SqliteCacheProvider)Cache).PruneAsync(cancellationToken).ConfigureAwait(false);
        var idempotency = await ((SqliteIdempotencyProvider)Idempotency).PruneAsync(cancellationToken).ConfigureAwait(false);
        var locks = Locks switch
        {
            SqliteLockProvider database => await database.PruneAsync(cancellationToken).ConfigureAwait(false),
            ProcessLockProvider process => process.Table.Prune(Ttl.NowMs(Options.TimeProvider)),
            _ => 0,
        };
        return new PruneResult(cache, idempotency, locks);
    }

    /// <summary>Gets the inspection API for this adapter's rows (its prefix only).</summary>
    public IPersistenceAdmin Admin => _admin ??= new SqliteAdmin(this);

    void IAdapterLifecycle.EnsureConnected() => _ = Pool;

    private (ICacheProvider, ILockProvider, ICircuitBreakerStateProvider, ICheckpointProvider, IIdempotencyProvider) CreateProviders() =>
    (
        new SqliteCacheProvider(this),
        Options.LockScope == LockScope.Database ? new SqliteLockProvider(this) : new ProcessLockProvider(this, Options, DataSource),
        new SqliteCircuitBreakerStateProvider(this),
        new SqliteCheckpointProvider(this),
        new SqliteIdempotencyProvider(this)
    );

    private ValueTask OnDisconnectingAsync(CancellationToken cancellationToken)
    {
        // Process-scope locks live and die with the connection of the adapter that holds them.
        cancellationToken.ThrowIfCancellationRequested();
        (Locks as ProcessLockProvider)?.Table.Clear();
        return ValueTask.CompletedTask;
    }
}
