namespace NativeAotPersistence.InMemory;

/// <summary>One stored value with an optional expiry: a row of the cache or the idempotency table.</summary>
/// <remarks>
/// A sliding cache entry also keeps its window and absolute limit (<see cref="CacheExpiry"/>); a tagged one its distinct
/// tags (<see cref="CacheEntryOptions.Tags"/>).
/// </remarks>
internal readonly record struct ExpiringRow(byte[] Value, long? ExpiresAtMs, long CreatedAtMs, long UpdatedAtMs, long? SlidingMs = null, long? AbsoluteMs = null, string[]? Tags = null, long? FreshUntilMs = null)
{
    /// <summary>Gets the expiry reads see: a fail-safe cache row's <see cref="FreshUntilMs"/>, otherwise <see cref="ExpiresAtMs"/> (when the row is reclaimed).</summary>
    public long? LiveUntilMs => FreshUntilMs ?? ExpiresAtMs;
}

/// <summary>
/// The cache or idempotency table: rows by stored key, plus an index of expiries so reclaiming expired rows costs
/// what it removes rather than a scan. Callers hold <see cref="Sync"/> around every use.
/// </summary>
internal sealed class ExpiringTable
{
    private readonly Dictionary<string, ExpiringRow> _rows = new(StringComparer.Ordinal);
    private readonly SortedSet<(long ExpiresAtMs, string Key)> _expiries = new(ExpiryOrder.Instance);

    public Lock Sync { get; } = new();

    public int Count => _rows.Count;

    public Dictionary<string, ExpiringRow> Rows => _rows;

    public bool TryGet(string key, out ExpiringRow row) => _rows.TryGetValue(key, out row);

    public void Put(string key, ExpiringRow row)
    {
        if (_rows.TryGetValue(key, out var old) && old.ExpiresAtMs is { } oldExpiry)
        {
            _expiries.Remove((oldExpiry, key));
        }

        _rows[key] = row;
        if (row.ExpiresAtMs is { } expiry)
        {
            _expiries.Add((expiry, key));
        }
    }

    /// <summary>Removes the row, expired or not (the caller holds <c>Sync</c>); true only if it was live at <paramref name="nowMs"/>.</summary>
    public bool RemoveLive(string key, long nowMs) => Remove(key, out var row) && Ttl.IsLive(row.LiveUntilMs, nowMs);

    public bool Remove(string key, out ExpiringRow row)
    {
        if (!_rows.Remove(key, out row))
        {
            return false;
        }

        if (row.ExpiresAtMs is { } expiry)
        {
            _expiries.Remove((expiry, key));
        }

        return true;
    }

    /// <summary>Removes every row whose stored key starts with <paramref name="ns"/>; returns how many.</summary>
    public int RemoveNamespace(KeyNamespace ns)
    {
        List<string>? doomed = null;
        foreach (var key in _rows.Keys)
        {
            if (ns.Contains(key))
            {
                (doomed ??= []).Add(key);
            }
        }

        return RemoveAll(doomed);
    }

    /// <summary>Removes every row of <paramref name="ns"/> tagged <paramref name="tag"/>; returns how many.</summary>
    public int RemoveTagged(KeyNamespace ns, string tag)
    {
        List<string>? doomed = null;
        foreach (var (key, row) in _rows)
        {
            if (row.Tags is { } tags && ns.Contains(key) && Array.IndexOf(tags, tag) >= 0)
            {
                (doomed ??= []).Add(key);
            }
        }

        return RemoveAll(doomed);
    }

    /// <summary>Removes the rows a scan chose (collected first: a dictionary cannot lose entries while it is enumerated).</summary>
    private int RemoveAll(List<string>? doomed)
    {
        if (doomed is null)
        {
            return 0;
        }

        foreach (var key in doomed)
        {
            Remove(key, out _);
        }

        return doomed.Count;
    }

    /// <summary>Removes up to <paramref name="limit"/> rows of <paramref name="ns"/> that expired at <paramref name="nowMs"/>.</summary>
    public int Sweep(KeyNamespace ns, long nowMs, int limit)
    {
        List<string>? doomed = null;
        foreach (var (expiresAt, key) in _expiries)
        {
            if (expiresAt > nowMs || doomed?.Count >= limit)
            {
                break;
            }

            if (ns.Contains(key))
            {
                (doomed ??= []).Add(key);
            }
        }

        return RemoveAll(doomed);
    }

    private sealed class ExpiryOrder : IComparer<(long ExpiresAtMs, string Key)>
    {
        public static readonly ExpiryOrder Instance = new();

        public int Compare((long ExpiresAtMs, string Key) x, (long ExpiresAtMs, string Key) y)
        {
            var byTime = x.ExpiresAtMs.CompareTo(y.ExpiresAtMs);
            return byTime != 0 ? byTime : string.CompareOrdinal(x.Key, y.Key);
        }
    }
}
