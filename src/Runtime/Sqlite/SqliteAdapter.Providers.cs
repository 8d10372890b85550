namespace NativeAotPersistence;

public sealed partial class SqliteAdapter : IAdapterLifecycle
{
    private SqliteAdmin? _admin;

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
        Options.LockScope == LockScope.Database ? new SqliteLockProvider(this) : new ProcessLockProvider(this, Options),
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
