using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>The PostgreSQL cache: one row per key in <c>go_goscope_cache</c>, expiry in Unix milliseconds.</summary>
internal sealed partial class PgCacheProvider : PgProvider, ICacheEntryStore
{
    private readonly KeyNamespace _ns;
    private readonly SweepSchedule _sweeps = new();

    public PgCacheProvider(PgContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "cache");
    }

    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, Resolve<T>(), cancellationToken);

    public async ValueTask<T?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        (await TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false)).Value;

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        TryGetAsync(key, Resolve<T>(), cancellationToken);

    public async ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var db = Db;
        var (lookup, slides, outcome) = await db.RunAsync("cache.get", PgWork.Read, (_ns, key, typeInfo, NowMs, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCacheSql.Get).Key(s._ns, s.key).Int64(s.NowMs);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return (default(CacheLookup<T>), false, CacheOutcome.Miss);
                }

                return reader.IsDBNull(0)
                    ? (default, false, CacheOutcome.Expired)
                    : (new CacheLookup<T>(true, reader.ReadPayload(0, s.typeInfo, s.key, "cache.get", s.DataSource)), !reader.IsDBNull(1), CacheOutcome.Hit);
            }
        }, cancellationToken).ConfigureAwait(false);

        BackendTelemetry.CacheLookup("postgresql", outcome);

        // A hit on a sliding entry renews its expiry before the value is returned, as a read of it must.
        if (slides)
        {
            await RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        }

        return lookup;
    }

    public string GateScope => "postgresql\0" + Context.StoreIdentity + "\0" + Prefix;

    public LockScope DefaultLockScope => Context.Options.LockScope;

    public TimeSpan FactoryLeaseTtl => Context.Options.DefaultLockTtl;

    public ILeaseStore DatabaseLeases => Context.AnyScopeLeases;

    public async ValueTask<CacheEntryRead<T>> ReadEntryAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var db = Db;
        var now = NowMs;
        var (read, slides) = await db.RunAsync("cache.get", PgWork.Read, (_ns, key, typeInfo, now, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCacheSql.ReadEntry).Key(s._ns, s.key).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return (default(CacheEntryRead<T>), false);
                }

                long? expiresAt = reader.IsDBNull(3) ? null : reader.GetInt64(3);
                var stale = expiresAt <= s.now;
                T? value;
                try
                {
                    value = reader.ReadPayload(0, s.typeInfo, s.key, "cache.get", s.DataSource);
                }
                catch (PayloadFormatException) when (stale)
                {
                    // A stale value of another shape (the type changed since it was stored) is no fail-safe value: a miss.
                    return (default(CacheEntryRead<T>), false);
                }

                return (new CacheEntryRead<T>(true, value, stale, reader.IsDBNull(2) ? 0 : reader.GetInt64(2), expiresAt), !stale && !reader.IsDBNull(1));
            }
        }, cancellationToken).ConfigureAwait(false);

        BackendTelemetry.CacheLookup("postgresql", !read.Found ? CacheOutcome.Miss : read.IsStale ? CacheOutcome.Expired : CacheOutcome.Hit);
        if (slides)
        {
            await RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        }

        return read;
    }

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, options, Resolve<T>(), cancellationToken);

    public async ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var tags = CacheTags.Encode(options);
        var json = StoredPayloads.Serialize(typeInfo, key, value);
        var sweep = _sweeps.OnWrite(expiry.ExpiresAtMs, now);
        await Db.RunAsync("cache.set", PgWork.Idempotent, (self: this, key, json, expiry, now, sweep, tags), static async (c, s, ct) =>
        {
            int changed;
            await using (var command = c.Command(PgCacheSql.SetEntry).Key(s.self._ns, s.key).Json(s.json)
                .Int64(s.expiry.ExpiresAtMs).Int64(s.now).Int64(s.expiry.SlidingMs).Int64(s.expiry.AbsoluteMs).NullableText(s.tags).Int64(s.expiry.FreshUntilMs))
            {
                changed = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (s.sweep)
            {
                await PgSweep.TrySweepAsync(c, PgCacheSql.Sweep, s.self._ns, s.now, s.self._sweeps).ConfigureAwait(false);
            }

            return changed;
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);

        // Renewing twice is harmless: the expiry is computed from this call's time, not added to the stored one.
        return Db.RunAsync("cache.refresh", PgWork.Idempotent, (_ns, key, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCacheSql.Refresh).Key(s._ns, s.key).Int64(s.NowMs);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        }, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public async ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        await WriteAsync(PgCacheSql.Set, "cache.set", PgWork.Idempotent, key, value, ttl, typeInfo, cancellationToken).ConfigureAwait(false);

    public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        AddAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        WriteAsync(PgCacheSql.Add, "cache.add", PgWork.Transaction, key, value, ttl, typeInfo, cancellationToken);

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Db.RunAsync("cache.delete", PgWork.Transaction, (_ns, key, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCacheSql.Delete).Key(s._ns, s.key).Int64(s.NowMs);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
        }, cancellationToken);
    }

    public ValueTask<bool> HasAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Db.RunAsync("cache.has", PgWork.Read, (_ns, key, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCacheSql.Has).Key(s._ns, s.key).Int64(s.NowMs);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        }, cancellationToken);
    }

    public ValueTask<int> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        CacheTags.Validate(tag);
        return Db.RunAsync("cache.remove_by_tag", PgWork.Transaction, (_ns, tag), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCacheSql.RemoveByTag).Range(s._ns).Text(s.tag);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async ValueTask ClearAsync(CancellationToken cancellationToken = default) =>
        await Db.RunAsync("cache.clear", PgWork.Idempotent, _ns, static async (c, ns, ct) =>
        {
            await using var command = c.Command(PgCacheSql.Clear).Range(ns);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        if (pattern is not null)
        {
            Keys.ValidatePattern(pattern);
        }

        return Db.RunAsync("cache.keys", PgWork.Read, (_ns, pattern, NowMs), static async (c, s, ct) =>
        {
            var keys = new List<string>();
            await using var command = c.Command(PgCacheSql.Keys).Range(s._ns, Glob.LiteralPrefix(s.pattern)).Int64(s.NowMs);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._ns.Utf8.Length);
                    if (Glob.IsMatch(s.pattern, key))
                    {
                        keys.Add(key);
                    }
                }
            }

            keys.Sort(StringComparer.Ordinal);
            return (IReadOnlyList<string>)keys;
        }, cancellationToken);
    }

    /// <summary>Removes every expired entry of this namespace now.</summary>
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Db.RunAsync("cache.prune", PgWork.Idempotent, (_ns, NowMs), static (c, s, ct) => PgSweep.SweepAsync(c, PgCacheSql.Sweep, s._ns, s.NowMs, int.MaxValue, ct), cancellationToken);

    private ValueTask<bool> WriteAsync<T>(string sql, string operation, PgWork work, string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        var json = StoredPayloads.Serialize(typeInfo, key, value);
        var sweep = _sweeps.OnWrite(expiresAt, now);
        return Db.RunAsync(operation, work, (self: this, sql, key, json, expiresAt, now, sweep), static async (c, s, ct) =>
        {
            int changed;
            await using (var command = c.Command(s.sql).Key(s.self._ns, s.key).Json(s.json).Int64(s.expiresAt).Int64(s.now))
            {
                changed = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (s.sweep && s.sql == PgCacheSql.Set)
            {
                await PgSweep.TrySweepAsync(c, PgCacheSql.Sweep, s.self._ns, s.now, s.self._sweeps).ConfigureAwait(false);
            }

            return changed > 0;
        }, cancellationToken);
    }
}
