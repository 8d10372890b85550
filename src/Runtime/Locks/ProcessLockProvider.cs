namespace NativeAotPersistence;

/// <summary><see cref="LockScope.Process"/> locks for any backend: in memory, per adapter, completed synchronously.</summary>
internal sealed class ProcessLockProvider : ILockProvider, ILockReleaser
{
    private readonly IAdapterLifecycle _adapter;
    private readonly TimeProvider _time;

    public ProcessLockProvider(IAdapterLifecycle adapter, PersistenceAdapterOptions options)
    {
        _adapter = adapter;
        _time = options.TimeProvider;
        DefaultTtl = options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    public ProcessLockTable Table { get; } = new();

    public ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = Ttl.NowMs(_time);
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        owner = LockOwners.Validate(owner);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        var (acquired, token) = Table.TryAcquire(key, owner, now, expiresAt);
        return new ValueTask<ILockHandle?>(acquired ? new LockHandle(this, this, _time, key, owner, token, expiresAt) : null);
    }

    public ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var now = Ttl.NowMs(_time);
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return new ValueTask<bool>(Table.Extend(key, owner, now, expiresAt));
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

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        // A disconnected adapter holds no process locks: releasing then is a no-op, never an error on dispose.
        return new ValueTask<bool>(Table.Release(key, owner));
    }
}
