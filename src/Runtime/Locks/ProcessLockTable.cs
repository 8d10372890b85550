namespace NativeAotPersistence;

/// <summary>
/// The locks of <see cref="LockScope.Process"/>: an in-memory table with TTLs and a fencing counter, per adapter.
/// </summary>
internal sealed class ProcessLockTable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private long _fencingCounter;

    /// <summary>
    /// Grants <paramref name="key"/> to <paramref name="owner"/> for <paramref name="ttlMs"/> from now: a new holder gets
    /// a new token; the same owner keeps its token.
    /// </summary>
    public LeaseGrant TryAcquire(string key, string owner, long nowMs, long ttlMs)
    {
        var expiresAtMs = Ttl.LockExpiresAt(ttlMs, nowMs);
        lock (_sync)
        {
            if (_entries.TryGetValue(key, out var entry) && nowMs < entry.ExpiresAtMs)
            {
                if (!string.Equals(entry.Owner, owner, StringComparison.Ordinal))
                {
                    return LeaseGrant.Refused;
                }

                _entries[key] = entry with { ExpiresAtMs = expiresAtMs };
                return new LeaseGrant(entry.Token, expiresAtMs, Reentrant: true);
            }

            var token = ++_fencingCounter;
            _entries[key] = new Entry(owner, expiresAtMs, token);
            return new LeaseGrant(token, expiresAtMs);
        }
    }

    /// <summary>Sets a live lock's expiry to now + <paramref name="ttlMs"/>; returns it, or 0 when the owner holds no live lock.</summary>
    public long Extend(string key, string owner, long nowMs, long ttlMs, long token = 0)
    {
        lock (_sync)
        {
            if (_entries.TryGetValue(key, out var entry) && nowMs < entry.ExpiresAtMs && string.Equals(entry.Owner, owner, StringComparison.Ordinal)
                && (token == 0 || entry.Token == token))
            {
                var expiresAtMs = Ttl.LockExpiresAt(ttlMs, nowMs);
                _entries[key] = entry with { ExpiresAtMs = expiresAtMs };
                return expiresAtMs;
            }

            return 0;
        }
    }

    /// <summary>Removes the owner's lock (if <paramref name="expiresAtMs"/> is not 0, only while it still expires then).</summary>
    public bool Release(string key, string owner, long token = 0, long expiresAtMs = 0)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(key, out var entry)
                && string.Equals(entry.Owner, owner, StringComparison.Ordinal)
                && (expiresAtMs == 0 || entry.ExpiresAtMs == expiresAtMs)
                && (token == 0 || entry.Token == token)
                && _entries.Remove(key);
        }
    }

    public void ForceRelease(string key)
    {
        lock (_sync)
        {
            _entries.Remove(key);
        }
    }

    public LockInfo? Info(string key, long nowMs)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(key, out var entry) && nowMs < entry.ExpiresAtMs
                ? new LockInfo(key, entry.Owner, Ttl.FromUnixMs(entry.ExpiresAtMs), entry.Token)
                : null;
        }
    }

    public IReadOnlyList<LockInfo> List(long nowMs)
    {
        lock (_sync)
        {
            var list = new List<LockInfo>();
            foreach (var (key, entry) in _entries)
            {
                if (nowMs < entry.ExpiresAtMs)
                {
                    list.Add(new LockInfo(key, entry.Owner, Ttl.FromUnixMs(entry.ExpiresAtMs), entry.Token));
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return list;
        }
    }

    public RowCounts Counts(long nowMs)
    {
        lock (_sync)
        {
            var live = 0;
            foreach (var entry in _entries.Values)
            {
                if (nowMs < entry.ExpiresAtMs)
                {
                    live++;
                }
            }

            return new RowCounts(live, _entries.Count - live);
        }
    }

    public int Prune(long nowMs)
    {
        lock (_sync)
        {
            var removed = 0;
            foreach (var (key, entry) in _entries)
            {
                if (nowMs >= entry.ExpiresAtMs && _entries.Remove(key))
                {
                    removed++;
                }
            }

            return removed;
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            _entries.Clear();
        }
    }

    private readonly record struct Entry(string Owner, long ExpiresAtMs, long Token);
}
