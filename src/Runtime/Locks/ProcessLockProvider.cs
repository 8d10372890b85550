using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: <see cref="LockScope.Process"/> locks for any backend: in memory, per adapter, completed synchronously.
/// An adapter whose <see cref="PersistenceAdapterOptions.LockScope"/> is <see cref="LockScope.Process"/> uses it as its
/// <see cref="IPersistenceAdapter.Locks"/>, forgets its locks on disconnect (<see cref="Clear"/>), and answers the admin
/// listing and prune from it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProcessLockProvider : ILockProvider, ILeaseStore
{
    private readonly IAdapterLifecycle _adapter;
    private readonly TimeProvider _time;

    /// <summary>Creates the process locks of one adapter.</summary>
    /// <param name="adapter">The adapter: every operation but a release first checks it is connected.</param>
    /// <param name="options">The adapter's options (its clock and default lock TTL).</param>
    /// <param name="dataSource">The file or server named in errors, or <see langword="null"/>.</param>
    public ProcessLockProvider(IAdapterLifecycle adapter, PersistenceAdapterOptions options, string? dataSource)
    {
        _adapter = adapter;
        _time = options.TimeProvider;
        DefaultTtl = options.DefaultLockTtl;
        DataSource = dataSource;
    }

    /// <inheritdoc/>
    public TimeSpan DefaultTtl { get; }

    internal ProcessLockTable Table { get; } = new();

    /// <inheritdoc/>
    public TimeProvider Time => _time;

    /// <inheritdoc/>
    public string? DataSource { get; }

    /// <inheritdoc/>
    public async ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Ttl.ValidateLock(ttl);
        owner = LockOwners.Validate(owner);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return await Lease.AcquireAsync(this, key, owner, ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken)
    {
        _adapter.EnsureConnected();
        return new ValueTask<LeaseGrant>(Table.TryAcquire(key, owner, Ttl.NowMs(_time), ttlMs));
    }

    /// <inheritdoc/>
    public ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var ttlMs = Ttl.ValidateLock(ttl);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return new ValueTask<bool>(Table.Extend(key, owner, Ttl.NowMs(_time), ttlMs) != 0);
    }

    /// <inheritdoc/>
    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken)
    {
        _adapter.EnsureConnected();
        return new ValueTask<long>(Table.Extend(key, owner, Ttl.NowMs(_time), ttlMs, token));
    }

    /// <inheritdoc/>
    public ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        Table.ForceRelease(key);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        _adapter.EnsureConnected();
        return new ValueTask<LockInfo?>(Table.Info(key, Ttl.NowMs(_time)));
    }

    /// <inheritdoc/>
    public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
        new(LeaseInfo.HeldUntil(Table.Info(key, Ttl.NowMs(_time)), owner, token));

    /// <inheritdoc/>
    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        // A disconnected adapter holds no process locks: releasing then is a no-op, never an error on dispose.
        return new ValueTask<bool>(Table.Release(key, owner, token, expiresAtMs));
    }

    /// <summary>Counts the locks held at <paramref name="nowMs"/> and those expired but not yet pruned (<see cref="PersistenceStats"/>).</summary>
    /// <param name="nowMs">Now, from <see cref="Ttl.NowMs"/>.</param>
    /// <returns>The counts.</returns>
    public RowCounts Counts(long nowMs) => Table.Counts(nowMs);

    /// <summary>Lists the locks held at <paramref name="nowMs"/>, sorted ordinally by key (<see cref="IPersistenceAdmin.ListLocksAsync"/>).</summary>
    /// <param name="nowMs">Now, from <see cref="Ttl.NowMs"/>.</param>
    /// <returns>The locks.</returns>
    public IReadOnlyList<LockInfo> List(long nowMs) => Table.List(nowMs);

    /// <summary>Removes the locks expired at <paramref name="nowMs"/> (<see cref="IPersistenceAdapter.PruneAsync"/>).</summary>
    /// <param name="nowMs">Now, from <see cref="Ttl.NowMs"/>.</param>
    /// <returns>How many were removed.</returns>
    public int Prune(long nowMs) => Table.Prune(nowMs);

    /// <summary>Forgets every lock, as the adapter disconnects: the process that held them no longer holds anything.</summary>
    public void Clear() => Table.Clear();
}
