using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>The in-memory cache: the rows of <see cref="SqliteCacheProvider"/> in an <see cref="ExpiringTable"/>.</summary>
internal sealed partial class InMemoryCacheProvider : InMemoryProvider, ICacheEntryStore
{
    private readonly KeyNamespace _ns;
    private readonly ExpiringTable _table;
    // The same amortized reclaim as SQLite.
    private readonly SweepSchedule _sweeps = new();

    public InMemoryCacheProvider(InMemoryContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "cache");
        _table = Store.Cache;
    }

    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, Resolve<T>(), cancellationToken);

    public ValueTask<T?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        var lookup = TryGetAsync(key, typeInfo, cancellationToken);
        return lookup.IsCompletedSuccessfully ? new ValueTask<T?>(lookup.Result.Value) : ValueTask.FromCanceled<T?>(cancellationToken);
    }

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        TryGetAsync(key, Resolve<T>(), cancellationToken);

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<CacheLookup<T>>(cancellationToken);
        }

        byte[] value;
        lock (_table.Sync)
        {
            var stored = _ns.Stored(key);
            if (!_table.TryGet(stored, out var row))
            {
                PersistenceTelemetry.CacheLookup("in-memory", CacheOutcome.Miss);
                return default;
            }

            if (!Ttl.IsLive(row.LiveUntilMs, now))
            {
                PersistenceTelemetry.CacheLookup("in-memory", CacheOutcome.Expired);
                return default;
            }

            PersistenceTelemetry.CacheLookup("in-memory", CacheOutcome.Hit);
            value = row.Value;
            Renew(stored, row, now);
        }

        return new ValueTask<CacheLookup<T>>(new CacheLookup<T>(true, ReadPayload(value, typeInfo, key, "cache.get")));
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        var stored = Write(key, value, ttl, typeInfo, add: false, cancellationToken);
        return stored.IsCompletedSuccessfully ? ValueTask.CompletedTask : ValueTask.FromCanceled(cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, options, Resolve<T>(), cancellationToken);

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var stored = Write(key, value, expiry, now, typeInfo, add: false, cancellationToken, CacheTags.Distinct(options));
        return stored.IsCompletedSuccessfully ? ValueTask.CompletedTask : ValueTask.FromCanceled(cancellationToken);
    }

    public string GateScope => "memory\0" + Store.Id + "\0" + Prefix;

    public LockScope DefaultLockScope => Context.Options.LockScope;

    public TimeSpan FactoryLeaseTtl => Context.Options.DefaultLockTtl;

    public ILeaseStore DatabaseLeases => Context.AnyScopeLeases;

    public ValueTask<CacheEntryRead<T>> ReadEntryAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<CacheEntryRead<T>>(cancellationToken);
        }

        ExpiringRow row;
        lock (_table.Sync)
        {
            var stored = _ns.Stored(key);
            if (!_table.TryGet(stored, out row) || !Ttl.IsLive(row.ExpiresAtMs, now))
            {
                PersistenceTelemetry.CacheLookup("in-memory", CacheOutcome.Miss);
                return default;
            }

            if (Ttl.IsLive(row.LiveUntilMs, now))
            {
                PersistenceTelemetry.CacheLookup("in-memory", CacheOutcome.Hit);
                Renew(stored, row, now);
            }
            else
            {
                PersistenceTelemetry.CacheLookup("in-memory", CacheOutcome.Expired);
            }
        }

        var stale = !Ttl.IsLive(row.LiveUntilMs, now);
        T? value;
        try
        {
            value = ReadPayload(row.Value, typeInfo, key, "cache.get");
        }
        catch (PayloadFormatException) when (stale)
        {
            // A stale value of another shape (the type changed since it was stored) is no fail-safe value: a miss.
            return default;
        }

        return new ValueTask<CacheEntryRead<T>>(new CacheEntryRead<T>(true, value, stale, row.CreatedAtMs, row.LiveUntilMs));
    }

    public ValueTask<bool> RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_table.Sync)
        {
            var stored = _ns.Stored(key);
            if (!_table.TryGet(stored, out var row) || !Ttl.IsLive(row.LiveUntilMs, now))
            {
                return new ValueTask<bool>(false);
            }

            Renew(stored, row, now);
            return new ValueTask<bool>(true);
        }
    }

    public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        AddAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        Write(key, value, ttl, typeInfo, add: true, cancellationToken);

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_table.Sync)
        {
            // An expired row goes too, but only a live one counts as deleted.
            return new ValueTask<bool>(_table.RemoveLive(_ns.Stored(key), now));
        }
    }

    public ValueTask<bool> HasAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_table.Sync)
        {
            return new ValueTask<bool>(_table.TryGet(_ns.Stored(key), out var row) && Ttl.IsLive(row.LiveUntilMs, now));
        }
    }

    public ValueTask<int> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        CacheTags.Validate(tag);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        lock (_table.Sync)
        {
            return new ValueTask<int>(_table.RemoveTagged(_ns, tag));
        }
    }

    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        lock (_table.Sync)
        {
            _table.RemoveNamespace(_ns);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        if (pattern is not null)
        {
            Keys.ValidatePattern(pattern);
        }

        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<IReadOnlyList<string>>(cancellationToken);
        }

        var keys = new List<string>();
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Rows)
            {
                if (_ns.Contains(stored) && Ttl.IsLive(row.LiveUntilMs, now))
                {
                    var key = _ns.Strip(stored);
                    if (Glob.IsMatch(pattern, key))
                    {
                        keys.Add(key);
                    }
                }
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return new ValueTask<IReadOnlyList<string>>(keys);
    }

    /// <summary>Removes every expired entry of this namespace now.</summary>
    internal int Prune(long nowMs)
    {
        lock (_table.Sync)
        {
            return _table.Sweep(_ns, nowMs, int.MaxValue);
        }
    }

    private ValueTask<bool> Write<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, bool add, CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        return Write(key, value, CacheExpiry.FromTtl(ttl, now), now, typeInfo, add, cancellationToken);
    }

    /// <summary>A read of a sliding entry moves its expiry (the caller holds the table's lock).</summary>
    private void Renew(string stored, ExpiringRow row, long now)
    {
        if (row.SlidingMs is { } window)
        {
            _table.Put(stored, row with { ExpiresAtMs = CacheExpiry.Renewed(window, row.AbsoluteMs, now) });
        }
    }

    private ValueTask<bool> Write<T>(string key, T value, CacheExpiry expiry, long now, PayloadTypeInfo<T> typeInfo, bool add, CancellationToken cancellationToken, string[]? tags = null)
    {
        var expiresAt = expiry.ExpiresAtMs;
        var sweep = _sweeps.OnWrite(expiresAt, now);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        // Serialized outside the lock; a copy nobody else references, so the caller cannot change what is stored.
        var bytes = typeInfo.SerializeFor(key, value);
        var stored = _ns.Stored(key);
        bool written;
        lock (_table.Sync)
        {
            // Add replaces only a missing or expired entry (SQLite: DO UPDATE ... WHERE expires_at <= now).
            written = !add || !_table.TryGet(stored, out var existing) || !Ttl.IsLive(existing.LiveUntilMs, now);
            if (written)
            {
                _table.Put(stored, new ExpiringRow(bytes, expiresAt, now, now, expiry.SlidingMs, expiry.AbsoluteMs, tags, expiry.FreshUntilMs));
            }

            if (sweep)
            {
                _sweeps.Swept(_table.Sweep(_ns, now, SweepSchedule.Batch));
            }
        }

        return new ValueTask<bool>(written);
    }
}
