using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>
/// <see cref="LockScope.Database"/> locks of <see cref="InMemoryPersistence"/>: rows in the shared
/// <see cref="InMemoryStore"/>, so adapters sharing a store never both hold a key, with one fencing counter per store.
/// </summary>
internal sealed partial class InMemoryLockProvider : InMemoryProvider, ILockProvider, ILeaseStore
{
    private readonly KeyNamespace _ns;
    private readonly LockTable _table;

    public InMemoryLockProvider(InMemoryContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "lock");
        _table = Store.Locks;
        DefaultTtl = context.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    TimeProvider ILeaseStore.Time => Time;

    string? ILeaseStore.DataSource => InMemoryPersistence.DataSource;

    public async ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Ttl.ValidateLock(ttl);
        owner = LockOwners.Validate(owner);
        return await Lease.AcquireAsync(this, key, owner, ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken)
    {
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<LeaseGrant>(cancellationToken);
        }

        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            // Every holder of an in-memory store lives in this process, so none is ever found dead.
            var now = NowMs;
            long token;
            var reentrant = false;
            if (_table.Rows.TryGetValue(stored, out var row) && now < row.ExpiresAtMs)
            {
                if (!string.Equals(row.Owner, owner, StringComparison.Ordinal))
                {
                    return new ValueTask<LeaseGrant>(LeaseGrant.Refused);
                }

                // Re-entrant: the same owner gets a fresh TTL and keeps its token.
                token = row.FencingToken;
                reentrant = true;
            }
            else
            {
                token = Store.NextFencingToken();
            }

            var expiresAt = Ttl.LockExpiresAt(ttlMs, now);
            _table.Rows[stored] = new LockRow(owner, expiresAt, token);
            return new ValueTask<LeaseGrant>(new LeaseGrant(token, expiresAt, Reentrant: reentrant));
        }
    }

    public async ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var ttlMs = Ttl.ValidateLock(ttl);
        return await RenewAsync(key, owner, 0, ttlMs, cancellationToken).ConfigureAwait(false) != 0;
    }

    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken)
    {
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            // A lock that already expired is never revived.
            var now = NowMs;
            if (_table.Rows.TryGetValue(stored, out var row) && now < row.ExpiresAtMs && string.Equals(row.Owner, owner, StringComparison.Ordinal)
                && (token == 0 || row.FencingToken == token))
            {
                var expiresAt = Ttl.LockExpiresAt(ttlMs, now);
                _table.Rows[stored] = row with { ExpiresAtMs = expiresAt };
                return new ValueTask<long>(expiresAt);
            }
        }

        return new ValueTask<long>(0L);
    }

    public ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        lock (_table.Sync)
        {
            _table.Rows.Remove(_ns.Stored(key));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<LockInfo?>(cancellationToken);
        }

        lock (_table.Sync)
        {
            return new ValueTask<LockInfo?>(_table.Rows.TryGetValue(_ns.Stored(key), out var row) && now < row.ExpiresAtMs
                ? new LockInfo(key, row.Owner, Ttl.FromUnixMs(row.ExpiresAtMs), row.FencingToken) { Holder = HolderIdentity.Self }
                : null);
        }
    }

    public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            return new ValueTask<long>(0L);
        }

        var now = NowMs;
        lock (_table.Sync)
        {
            return new ValueTask<long>(
                _table.Rows.TryGetValue(_ns.Stored(key), out var row) && now < row.ExpiresAtMs && string.Equals(row.Owner, owner, StringComparison.Ordinal)
                    && (token == 0 || row.FencingToken == token)
                    ? row.ExpiresAtMs
                    : 0L);
        }
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the row expires by its TTL.
            return new ValueTask<bool>(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            return new ValueTask<bool>(
                _table.Rows.TryGetValue(stored, out var row)
                && string.Equals(row.Owner, owner, StringComparison.Ordinal)
                && (expiresAtMs == 0 || row.ExpiresAtMs == expiresAtMs)
                && (token == 0 || row.FencingToken == token)
                && _table.Rows.Remove(stored));
        }
    }

    /// <summary>Removes every expired lock row of this namespace now.</summary>
    internal int Prune(long nowMs)
    {
        lock (_table.Sync)
        {
            var removed = 0;
            foreach (var (stored, row) in _table.Rows)
            {
                if (row.ExpiresAtMs <= nowMs && _ns.Contains(stored) && _table.Rows.Remove(stored))
                {
                    removed++;
                }
            }

            return removed;
        }
    }
}
