namespace NativeAotPersistence;

/// <summary><see cref="LockScope.Process"/> locks for any backend: in memory, per adapter, completed synchronously.</summary>
internal sealed class ProcessLockProvider : ILockProvider, ILeaseStore, IPrunable, IAdminSource, IAdminListing<LockInfo>
{
    private readonly IAdapterLifecycle _adapter;
    private readonly TimeProvider _time;

    public ProcessLockProvider(IAdapterLifecycle adapter, PersistenceAdapterOptions options, string? dataSource)
    {
        _adapter = adapter;
        _time = options.TimeProvider;
        DefaultTtl = options.DefaultLockTtl;
        DataSource = dataSource;
    }

    public TimeSpan DefaultTtl { get; }

    public ProcessLockTable Table { get; } = new();

    public TimeProvider Time => _time;

    public string? DataSource { get; }

    public async ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Ttl.ValidateLock(ttl);
        owner = LockOwners.Validate(owner);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return await Lease.AcquireAsync(this, key, owner, ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken)
    {
        _adapter.EnsureConnected();
        return new ValueTask<LeaseGrant>(Table.TryAcquire(key, owner, Ttl.NowMs(_time), ttlMs));
    }

    public ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var ttlMs = Ttl.ValidateLock(ttl);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return new ValueTask<bool>(Table.Extend(key, owner, Ttl.NowMs(_time), ttlMs) != 0);
    }

    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken)
    {
        _adapter.EnsureConnected();
        return new ValueTask<long>(Table.Extend(key, owner, Ttl.NowMs(_time), ttlMs, token));
    }

    public ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        Table.ForceRelease(key);
        return ValueTask.CompletedTask;
    }

    public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return new ValueTask<LockInfo?>(Table.Info(key, Ttl.NowMs(_time)));
    }

    public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
        new(LeaseInfo.HeldUntil(Table.Info(key, Ttl.NowMs(_time)), owner, token));

    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        // A disconnected adapter holds no process locks: releasing then is a no-op, never an error on dispose.
        return new ValueTask<bool>(Table.Release(key, owner, token, expiresAtMs));
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) => new(Table.Prune(Ttl.NowMs(_time)));

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        _adapter.EnsureConnected();
        return new ValueTask<PersistenceStats>(stats with { Locks = Table.Counts(Ttl.NowMs(_time)) });
    }

    public ValueTask<IReadOnlyList<LockInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        _adapter.EnsureConnected();
        return new ValueTask<IReadOnlyList<LockInfo>>(Table.List(Ttl.NowMs(_time)));
    }
}
