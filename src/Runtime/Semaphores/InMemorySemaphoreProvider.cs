using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>The in-memory semaphores: the model the SQLite and PostgreSQL providers are tested against.</summary>
internal sealed partial class InMemorySemaphoreProvider : InMemoryProvider, ISemaphoreProvider, ISemaphoreStore
{
    private readonly KeyNamespace _ns;
    private readonly SemaphoreTable _table;

    public InMemorySemaphoreProvider(InMemoryContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "semaphore");
        _table = Store.Semaphores;
        DefaultTtl = context.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    TimeProvider ISemaphoreStore.Time => Time;

    string? ISemaphoreStore.DataSource => InMemoryPersistence.DataSource;

    public async ValueTask<ILockHandle?> AcquireAsync(string key, int permits, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Ttl.ValidateLock(ttl);
        return await SemaphoreLeases.AcquireAsync(this, key, permits, owner, ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, int permits, long ttlMs, CancellationToken cancellationToken)
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
            if (!_table.Keys.TryGetValue(stored, out var holders))
            {
                holders = new Dictionary<string, PermitRow>(StringComparer.Ordinal);
                _table.Keys.Add(stored, holders);
            }

            RemoveExpired(holders, now);
            foreach (var row in holders.Values)
            {
                if (row.Permits != permits)
                {
                    throw SemaphoreLeases.LimitMismatch(key, permits, row.Permits);
                }
            }

            long token;
            var reentrant = false;
            if (holders.TryGetValue(owner, out var own))
            {
                // Re-entrant: the same owner gets a fresh TTL and keeps its permit and token.
                token = own.FencingToken;
                reentrant = true;
            }
            else if (holders.Count >= permits)
            {
                return new ValueTask<LeaseGrant>(LeaseGrant.Refused);
            }
            else
            {
                token = Store.NextFencingToken();
            }

            var expiresAt = Ttl.LockExpiresAt(ttlMs, now);
            holders[owner] = new PermitRow(permits, expiresAt, token);
            return new ValueTask<LeaseGrant>(new LeaseGrant(token, expiresAt, Reentrant: reentrant));
        }
    }

    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken)
    {
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        var now = NowMs;
        lock (_table.Sync)
        {
            if (!TryGetLive(key, owner, token, now, out var holders, out var row))
            {
                return new ValueTask<long>(0L);
            }

            var expiresAt = Ttl.LockExpiresAt(ttlMs, now);
            holders[owner] = row with { ExpiresAtMs = expiresAt };
            return new ValueTask<long>(expiresAt);
        }
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the permit expires by its TTL.
            return new ValueTask<bool>(false);
        }

        lock (_table.Sync)
        {
            if (!_table.Keys.TryGetValue(_ns.Stored(key), out var holders) || !holders.TryGetValue(owner, out var row)
                || (token != 0 && row.FencingToken != token) || (expiresAtMs != 0 && row.ExpiresAtMs != expiresAtMs))
            {
                return new ValueTask<bool>(false);
            }

            holders.Remove(owner);
            return new ValueTask<bool>(true);
        }
    }

    public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            return new ValueTask<long>(0L);
        }

        lock (_table.Sync)
        {
            return new ValueTask<long>(TryGetLive(key, owner, token, NowMs, out _, out var row) ? row.ExpiresAtMs : 0L);
        }
    }

    public ValueTask<SemaphoreInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<SemaphoreInfo?>(cancellationToken);
        }

        lock (_table.Sync)
        {
            return new ValueTask<SemaphoreInfo?>(_table.Keys.TryGetValue(_ns.Stored(key), out var holders) ? Info(key, holders, NowMs) : null);
        }
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
            _table.Keys.Remove(_ns.Stored(key));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The key's live permits, ordered by fencing token, or <see langword="null"/> when there are none.</summary>
    private static SemaphoreInfo? Info(string key, Dictionary<string, PermitRow> holders, long now)
    {
        List<SemaphoreHolder>? live = null;
        var permits = 0;
        foreach (var (owner, row) in holders)
        {
            if (now < row.ExpiresAtMs)
            {
                (live ??= []).Add(new SemaphoreHolder(owner, Ttl.FromUnixMs(row.ExpiresAtMs), row.FencingToken) { Holder = HolderIdentity.Self });
                permits = row.Permits;
            }
        }

        if (live is null)
        {
            return null;
        }

        live.Sort(static (a, b) => a.FencingToken.CompareTo(b.FencingToken));
        return new SemaphoreInfo(key, permits, live);
    }

    private bool TryGetLive(string key, string owner, long token, long now, out Dictionary<string, PermitRow> holders, out PermitRow row)
    {
        row = default;
        return _table.Keys.TryGetValue(_ns.Stored(key), out holders!) && holders.TryGetValue(owner, out row)
            && now < row.ExpiresAtMs && (token == 0 || row.FencingToken == token);
    }

    private static void RemoveExpired(Dictionary<string, PermitRow> holders, long now)
    {
        foreach (var (owner, row) in holders)
        {
            if (row.ExpiresAtMs <= now)
            {
                holders.Remove(owner);
            }
        }
    }
}
