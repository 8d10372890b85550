using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// What every adapter is made of, whatever its backend: the options, one provider per kind, the
/// <see cref="PersistenceProviders"/> bundle, pruning and the admin API. An adapter composes one and forwards to it, so
/// adding a kind changes this class and <see cref="BackendProviders"/>, never the adapters.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AdapterCore
{
    private readonly IAdapterLifecycle _lifecycle;
    private readonly IPrunable _cachePrune;
    private readonly IPrunable _idempotencyPrune;
    private readonly IPrunable _lockPrune;
    private readonly IPrunable _semaphorePrune;
    private readonly IPrunable _rateLimitPrune;

    private readonly Func<ILockProvider> _createDatabaseLocks;
    private ILeaseStore? _databaseLeases;

    /// <summary>Builds the core; <paramref name="create"/> builds the backend's providers.</summary>
    /// <param name="options">The adapter's options, already validated (<see cref="AdapterOptions.Validate"/>).</param>
    /// <param name="dataSource">What errors name as the store: a file path, <c>in-memory</c>, <c>host:port/database</c>.</param>
    /// <param name="lifecycle">The adapter, for the "not connected" check every provider makes.</param>
    /// <param name="create">Builds the backend's providers.</param>
    /// <exception cref="ArgumentException">A provider lacks a part the core needs (<see cref="BackendProviders"/>).</exception>
    public AdapterCore(PersistenceAdapterOptions options, string dataSource, IAdapterLifecycle lifecycle, BackendProviders create)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(create);
        _lifecycle = lifecycle;
        Options = options;
        DataSource = dataSource;
        Cache = create.Cache;
        Locks = options.LockScope == LockScope.Database ? create.DatabaseLocks() : new ProcessLockProvider(lifecycle, options, dataSource);
        _createDatabaseLocks = create.DatabaseLocks;
        CircuitBreakers = create.CircuitBreakers;
        Checkpoints = create.Checkpoints;
        Idempotency = create.Idempotency;
        Semaphores = create.Semaphores;
        RateLimits = create.RateLimits;
        _ = Need<IRateLimitStore>(RateLimits);
        _ = Need<ICircuitStore>(CircuitBreakers);
        Providers = new PersistenceProviders
        {
            Cache = Cache,
            Lock = Locks,
            CircuitBreaker = CircuitBreakers,
            Checkpoint = Checkpoints,
            Idempotency = Idempotency,
            Semaphore = Semaphores,
            RateLimit = RateLimits,
        };

        _cachePrune = Need<IPrunable>(Cache);
        _idempotencyPrune = Need<IPrunable>(Idempotency);
        _lockPrune = Need<IPrunable>(Locks);
        _semaphorePrune = Need<IPrunable>(Semaphores);
        _rateLimitPrune = Need<IPrunable>(RateLimits);
        Admin = new PersistenceAdmin(
            Need<ICompactable>(create.Store),
            [create.Store, Need<IAdminSource>(Cache), Need<IAdminSource>(Locks), Need<IAdminSource>(CircuitBreakers), Need<IAdminSource>(Checkpoints), Need<IAdminSource>(Idempotency), Need<IAdminSource>(Semaphores), Need<IAdminSource>(RateLimits)],
            Need<IAdminListing<CircuitSummary>>(CircuitBreakers),
            Need<IAdminListing<TaskSummary>>(Checkpoints),
            Need<IAdminListing<LockInfo>>(Locks),
            Need<IAdminListing<IdempotencyKeySummary>>(Idempotency),
            Need<IAdminListing<CacheTagSummary>>(Cache),
            Need<IAdminListing<SemaphoreInfo>>(Semaphores));
    }

    /// <summary>Gets the adapter's options.</summary>
    public PersistenceAdapterOptions Options { get; }

    /// <summary>Gets what errors name as the store.</summary>
    public string DataSource { get; }

    /// <summary>Gets the cache provider.</summary>
    public ICacheProvider Cache { get; }

    /// <summary>Gets the lock provider of the adapter's <see cref="PersistenceAdapterOptions.LockScope"/>.</summary>
    public ILockProvider Locks { get; }

    /// <summary>
    /// Gets the backend's <see cref="LockScope.Database"/> lease store whatever the adapter's scope: its locks under
    /// <see cref="LockScope.Database"/>, otherwise a database lock provider built on first use, for a helper asked for a
    /// database-wide lease on a <see cref="LockScope.Process"/> adapter (<c>GetOrSetOptions.Scope</c>).
    /// </summary>
    /// <exception cref="NotSupportedException">The backend's database lock provider is not a lease store.</exception>
    public ILeaseStore DatabaseLeases
    {
        get
        {
            if (Options.LockScope == LockScope.Database && Locks is ILeaseStore own)
            {
                return own;
            }

            if (Volatile.Read(ref _databaseLeases) is { } leases)
            {
                return leases;
            }

            var created = _createDatabaseLocks() as ILeaseStore
                ?? throw new NotSupportedException("This backend's database lock provider does not implement ILeaseStore.");
            return Interlocked.CompareExchange(ref _databaseLeases, created, null) ?? created;
        }
    }

    /// <summary>Gets the circuit-breaker state provider.</summary>
    public ICircuitBreakerStateProvider CircuitBreakers { get; }

    /// <summary>Gets the checkpoint provider.</summary>
    public ICheckpointProvider Checkpoints { get; }

    /// <summary>Gets the idempotency provider.</summary>
    public IIdempotencyProvider Idempotency { get; }

    /// <summary>Gets the semaphore provider.</summary>
    public ISemaphoreProvider Semaphores { get; }

    /// <summary>Gets the rate-limit provider.</summary>
    public IRateLimitProvider RateLimits { get; }

    /// <summary>Gets every provider as one bundle (the same instance each time).</summary>
    public PersistenceProviders Providers { get; }

    /// <summary>Gets the inspection API over the providers.</summary>
    public IPersistenceAdmin Admin { get; }

    /// <summary>Reclaims every expired row of the kinds that expire, one kind after the other.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>How many rows of each kind were removed.</returns>
    public async ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken)
    {
        _lifecycle.EnsureConnected();
        cancellationToken.ThrowIfCancellationRequested();
        return new PruneResult
        {
            Cache = await _cachePrune.PruneAsync(cancellationToken).ConfigureAwait(false),
            Idempotency = await _idempotencyPrune.PruneAsync(cancellationToken).ConfigureAwait(false),
            Locks = await _lockPrune.PruneAsync(cancellationToken).ConfigureAwait(false),
            Semaphores = await _semaphorePrune.PruneAsync(cancellationToken).ConfigureAwait(false),
            RateLimits = await _rateLimitPrune.PruneAsync(cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>Forgets what lives and dies with the adapter's connection: its <see cref="LockScope.Process"/> locks.</summary>
    public void OnDisconnected() => (Locks as ProcessLockProvider)?.Table.Clear();

    private static T Need<T>(object provider)
        where T : class =>
        provider as T ?? throw new ArgumentException(
            $"{provider.GetType().Name} does not implement {typeof(T).Name}, which every provider of its kind must (see BackendProviders).",
            nameof(provider));

    /// <summary>The admin API: store statistics from every source, listings from the kinds that list, the store's compaction.</summary>
    private sealed class PersistenceAdmin(
        ICompactable store,
        IAdminSource[] sources,
        IAdminListing<CircuitSummary> circuits,
        IAdminListing<TaskSummary> tasks,
        IAdminListing<LockInfo> locks,
        IAdminListing<IdempotencyKeySummary> idempotency,
        IAdminListing<CacheTagSummary> cacheTags,
        IAdminListing<SemaphoreInfo> semaphores) : IPersistenceAdmin
    {
        public async ValueTask<PersistenceStats> GetStatsAsync(CancellationToken cancellationToken = default)
        {
            var stats = new PersistenceStats();
            foreach (var source in sources)
            {
                stats = await source.AddStatsAsync(stats, cancellationToken).ConfigureAwait(false);
            }

            return stats;
        }

        public ValueTask<IReadOnlyList<CircuitSummary>> ListCircuitsAsync(CancellationToken cancellationToken = default) =>
            circuits.AdminListAsync(null, cancellationToken);

        public ValueTask<IReadOnlyList<TaskSummary>> ListTasksAsync(CancellationToken cancellationToken = default) =>
            tasks.AdminListAsync(null, cancellationToken);

        public ValueTask<IReadOnlyList<LockInfo>> ListLocksAsync(CancellationToken cancellationToken = default) =>
            locks.AdminListAsync(null, cancellationToken);

        public ValueTask<IReadOnlyList<SemaphoreInfo>> ListSemaphoresAsync(CancellationToken cancellationToken = default) =>
            semaphores.AdminListAsync(null, cancellationToken);

        public ValueTask<IReadOnlyList<CacheTagSummary>> ListCacheTagsAsync(CancellationToken cancellationToken = default) =>
            cacheTags.AdminListAsync(null, cancellationToken);

        public ValueTask<CompactResult> CompactAsync(CancellationToken cancellationToken = default) =>
            store.CompactAsync(cancellationToken);

        public ValueTask<IReadOnlyList<IdempotencyKeySummary>> ListIdempotencyKeysAsync(string? pattern = null, CancellationToken cancellationToken = default)
        {
            if (pattern is not null)
            {
                Keys.ValidatePattern(pattern);
            }

            return idempotency.AdminListAsync(pattern, cancellationToken);
        }
    }
}
