using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The SQLite cache: one row per key in <c>go_goscope_cache</c>, expiry in Unix milliseconds.</summary>
internal sealed partial class SqliteCacheProvider : SqliteProvider, ICacheEntryStore
{

    private readonly KeyNamespace _ns;
    private readonly SweepSchedule _sweeps = new();

    public SqliteCacheProvider(SqliteContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "cache");
    }

    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Get(key, Resolve<T>(), cancellationToken);
    }

    public ValueTask<T?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Get(key, typeInfo, cancellationToken);
    }

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        TryGetAsync(key, Resolve<T>(), cancellationToken);

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var read = Read(key, typeInfo, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            PersistenceTelemetry.CacheLookup("sqlite", result.Outcome);
            return result.Slides ? RenewAsync(result.Lookup, key, cancellationToken) : new ValueTask<CacheLookup<T>>(result.Lookup);
        }

        return AwaitRenewAsync(read, key, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, options, Resolve<T>(), cancellationToken);

    public unsafe ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var tags = CacheTags.Encode(options);
        var sweep = _sweeps.OnWrite(expiry.ExpiresAtMs, now);
        return Ignore(Pool.WriteAsync("cache.set", (Self: this, key, value, expiry, now, typeInfo, sweep, tags), &SetEntryBody<T>, cancellationToken));
    }

    private static int SetEntryBody<T>(SqliteConnection c, (SqliteCacheProvider Self, string key, T value, CacheExpiry expiry, long now, PayloadTypeInfo<T> typeInfo, bool sweep, string? tags) s)
    {
        const string op = "cache.set";
        using (var statement = c.Statement(SqliteCacheSql.SetEntry, op))
        {
            statement.BindKey(1, s.Self._ns, s.key);
            statement.BindPayload(2, s.typeInfo, s.value, s.key);
            statement.BindInt64(3, s.expiry.ExpiresAtMs);
            statement.BindInt64(4, s.now);
            statement.BindInt64(5, s.expiry.SlidingMs);
            statement.BindInt64(6, s.expiry.AbsoluteMs);
            statement.BindNullableText(7, s.tags);
            statement.BindInt64(8, s.expiry.FreshUntilMs);
            statement.Step();
        }

        if (s.sweep)
        {
            s.Self._sweeps.Swept(SqliteSweep.TryExpired(c, SqliteCacheSql.Sweep, "cache.sweep", s.Self._ns, s.now, SweepSchedule.Batch));
        }

        return 0;
    }

    public string GateScope => "sqlite\0" + Context.StoreIdentity + "\0" + Prefix;

    public LockScope DefaultLockScope => Context.Options.LockScope;

    public TimeSpan FactoryLeaseTtl => Context.Options.DefaultLockTtl;

    public ILeaseStore DatabaseLeases => Context.AnyScopeLeases;

    public async ValueTask<CacheEntryRead<T>> ReadEntryAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var read = await ReadEntry(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (read.Slides)
        {
            await RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        }

        return read.Entry;
    }

    private unsafe ValueTask<EntryRead<T>> ReadEntry<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        Pool.ReadAsync("cache.get", (Self: this, key, typeInfo, now: NowMs), &ReadEntryBody<T>, cancellationToken);

    private static EntryRead<T> ReadEntryBody<T>(SqliteConnection c, (SqliteCacheProvider Self, string key, PayloadTypeInfo<T> typeInfo, long now) s)
    {
        const string op = "cache.get";
        using var statement = c.Statement(SqliteCacheSql.ReadEntry, op);
        statement.BindKey(1, s.Self._ns, s.key);
        statement.BindInt64(2, s.now);
        if (!statement.StepRow())
        {
            PersistenceTelemetry.CacheLookup("sqlite", CacheOutcome.Miss);
            return default;
        }

        long? expiresAt = statement.IsNull(3) ? null : statement.ColumnInt64(3);
        var stale = expiresAt <= s.now;
        T? value;
        try
        {
            value = c.ReadPayload(statement.ColumnBlob(0), s.typeInfo, s.key, op);
        }
        catch (PayloadFormatException) when (stale)
        {
            // A stale value of another shape (the type changed since it was stored) is no fail-safe value: a miss.
            return default;
        }

        PersistenceTelemetry.CacheLookup("sqlite", stale ? CacheOutcome.Expired : CacheOutcome.Hit);
        return new EntryRead<T>(new CacheEntryRead<T>(true, value, stale, statement.IsNull(2) ? 0 : statement.ColumnInt64(2), expiresAt), !stale && !statement.IsNull(1));
    }

    public unsafe ValueTask<bool> RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.WriteAsync("cache.refresh", (_ns, key, now: NowMs), &RefreshBody, cancellationToken);
    }

    private static bool RefreshBody(SqliteConnection c, (KeyNamespace _ns, string key, long now) s)
    {
        const string op = "cache.refresh";
        using var statement = c.Statement(SqliteCacheSql.Refresh, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindInt64(2, s.now);
        return statement.StepReturningInt64() != 0;
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        Ignore(WriteAsync(SqliteCacheSql.Set, "cache.set", key, value, ttl, typeInfo, cancellationToken));

    public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        AddAsync(key, value, ttl, Resolve<T>(), cancellationToken);

    public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        WriteAsync(SqliteCacheSql.Add, "cache.add", key, value, ttl, typeInfo, cancellationToken);

    public unsafe ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.WriteAsync("cache.delete", (Self: this, key, now: NowMs), &DeleteBody, cancellationToken);
    }

    private static bool DeleteBody(SqliteConnection c, (SqliteCacheProvider Self, string key, long now) s)
    {
        const string op = "cache.delete";
        using var statement = c.Statement(SqliteCacheSql.Delete, op);
        statement.BindKey(1, s.Self._ns, s.key);
        statement.BindInt64(2, s.now);
        return statement.StepReturningInt64() != 0;
    }

    public unsafe ValueTask<bool> HasAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.ReadAsync("cache.has", (Self: this, key, now: NowMs), &HasBody, cancellationToken);
    }

    private static bool HasBody(SqliteConnection c, (SqliteCacheProvider Self, string key, long now) s)
    {
        const string op = "cache.has";
        using var statement = c.Statement(SqliteCacheSql.Has, op);
        statement.BindKey(1, s.Self._ns, s.key);
        statement.BindInt64(2, s.now);
        return statement.StepRow();
    }

    public unsafe ValueTask<int> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        CacheTags.Validate(tag);
        return Pool.WriteAsync("cache.remove_by_tag", (_ns, tag), &RemoveByTagBody, cancellationToken);
    }

    private static int RemoveByTagBody(SqliteConnection c, (KeyNamespace _ns, string tag) s)
    {
        const string op = "cache.remove_by_tag";
        using var statement = c.Statement(SqliteCacheSql.RemoveByTag, op);
        statement.BindRange(s._ns, default);
        statement.BindText(3, s.tag);
        statement.Step();
        return statement.Changes();
    }

    public unsafe ValueTask ClearAsync(CancellationToken cancellationToken = default) =>
        Ignore(Pool.WriteAsync("cache.clear", _ns, &ClearBody, cancellationToken));

    private static int ClearBody(SqliteConnection c, KeyNamespace ns)
    {
        const string op = "cache.clear";
        using var statement = c.Statement(SqliteCacheSql.Clear, op);
        statement.BindRange(ns, default);
        statement.Step();
        return statement.Changes();
    }

    public unsafe ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        if (pattern is not null)
        {
            Keys.ValidatePattern(pattern);
        }

        return Pool.ReadAsync("cache.keys", (Self: this, pattern, now: NowMs), &KeysBody, cancellationToken);
    }

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<string> KeysBody(SqliteConnection c, (SqliteCacheProvider Self, string? pattern, long now) s)
    {
        const string op = "cache.keys";
        var ns = s.Self._ns;
        var keys = new List<string>();
        using (var statement = c.Statement(SqliteCacheSql.Keys, op))
        {
            statement.BindRange(ns, Glob.LiteralPrefix(s.pattern));
            statement.BindInt64(3, s.now);
            while (statement.StepRow())
            {
                var key = statement.ReadText(0, ns.Utf8.Length);
                if (Glob.IsMatch(s.pattern, key))
                {
                    keys.Add(key);
                }
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>Removes every expired entry of this namespace now.</summary>
    public unsafe ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("cache.prune", (_ns, now: NowMs), &PruneBody, cancellationToken);

    private static int PruneBody(SqliteConnection c, (KeyNamespace _ns, long now) s) =>
        SqliteSweep.Expired(c, SqliteCacheSql.Sweep, "cache.sweep", s._ns, s.now, int.MaxValue);

    // The hottest path: one generic method between the interface call and the connection. When a reader is free (and
    // the call is neither cancelled nor timed) the body runs right here, with the same gate release, closed check and
    // error capture as the pool's reads (its TryRun, written out), without the pool's ReadAsync layers or a task of the
    // read's result in between; otherwise (every reader busy, telemetry timing) the pool's path. A database found busy
    // goes to the pool's path too, which tries once more at once before it waits with backoff (as any read that found
    // it busy does; the busy-wait metrics count the waits, not that first try).
    private ValueTask<T?> Get<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var now = NowMs;
        if (Pool.TryEnterReaderInline(cancellationToken, out var connection))
        {
            // SqliteConnectionPool.TryRun's contract, written out: a direct call costs less than its function pointer.
            CacheRead<T> found;
            try
            {
                SqliteConnectionPool.ThrowIfClosed(connection, "cache.get");
                found = GetBody(connection, (Self: this, key, typeInfo, now));
            }
            catch (SqliteBusyException)
            {
                found = CacheRead<T>.Busy;
            }
            catch (Exception e)
            {
                // A failure belongs in the returned task, as it does when the call waits (see TryRun).
                return ValueTask.FromException<T?>(e);
            }
            finally
            {
                connection.Gate.Release();
            }

            if (!found.IsBusy)
            {
                PersistenceTelemetry.CacheLookup("sqlite", found.Outcome);
                return found.Slides ? RenewValueAsync(found.Lookup.Value, key, cancellationToken) : new ValueTask<T?>(found.Lookup.Value);
            }
        }

        var read = Read(key, typeInfo, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            PersistenceTelemetry.CacheLookup("sqlite", result.Outcome);
            return result.Slides ? RenewValueAsync(result.Lookup.Value, key, cancellationToken) : new ValueTask<T?>(result.Lookup.Value);
        }

        return AwaitRenewValueAsync(read, key, cancellationToken);
    }

    /// <summary>The one read of a cache get; <see cref="CacheRead{T}.Slides"/> says whether the hit must renew the entry.</summary>
    private unsafe ValueTask<CacheRead<T>> Read<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        Pool.ReadAsync("cache.get", (Self: this, key, typeInfo, now: NowMs), &GetBody<T>, cancellationToken);

    private static CacheRead<T> GetBody<T>(SqliteConnection c, (SqliteCacheProvider Self, string key, PayloadTypeInfo<T> typeInfo, long now) s)
    {
        const string op = "cache.get";
        using var statement = c.Statement(SqliteCacheSql.Get, op);
        statement.BindKey(1, s.Self._ns, s.key);
        statement.BindInt64(2, s.now);
        if (!statement.StepRow())
        {
            return default;
        }

        // A stored value is never empty, so only an empty read can be the NULL an expired entry selects.
        var utf8 = statement.ColumnBlob(0);
        if (utf8.IsEmpty && statement.IsNull(0))
        {
            return CacheRead<T>.Expired;
        }

        var value = c.ReadPayload(utf8, s.typeInfo, s.key, op);
        return new CacheRead<T>(new CacheLookup<T>(true, value), !statement.IsNull(1));
    }

    private unsafe ValueTask<bool> WriteAsync<T>(SqlStatement sql, string operation, string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiresAt = Ttl.ExpiresAt(ttl, now);
        var sweep = _sweeps.OnWrite(expiresAt, now);
        return Pool.WriteAsync(operation, (Self: this, sql, operation, key, value, expiresAt, now, typeInfo, sweep), &WriteBody<T>, cancellationToken);
    }

    private static bool WriteBody<T>(SqliteConnection c, (SqliteCacheProvider Self, SqlStatement sql, string operation, string key, T value, long? expiresAt, long now, PayloadTypeInfo<T> typeInfo, bool sweep) s)
    {
        bool stored;
        using (var statement = c.Statement(s.sql, s.operation))
        {
            statement.BindKey(1, s.Self._ns, s.key);
            statement.BindPayload(2, s.typeInfo, s.value, s.key);
            statement.BindInt64(3, s.expiresAt);
            statement.BindInt64(4, s.now);
            statement.Step();

            // Only Add can decline to store; a Set always does, so it skips the native call.
            stored = s.sql != SqliteCacheSql.Add || statement.Changes() > 0;
        }

        if (s.sweep)
        {
            s.Self._sweeps.Swept(SqliteSweep.TryExpired(c, SqliteCacheSql.Sweep, "cache.sweep", s.Self._ns, s.now, SweepSchedule.Batch));
        }

        return stored;
    }

    /// <summary>A hit on a sliding entry renews its expiry before the value is returned, as a read of it must.</summary>
    private async ValueTask<CacheLookup<T>> RenewAsync<T>(CacheLookup<T> lookup, string key, CancellationToken cancellationToken)
    {
        await RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        return lookup;
    }

    private async ValueTask<T?> RenewValueAsync<T>(T? value, string key, CancellationToken cancellationToken)
    {
        await RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        return value;
    }

    private async ValueTask<T?> AwaitRenewValueAsync<T>(ValueTask<CacheRead<T>> read, string key, CancellationToken cancellationToken) =>
        (await AwaitRenewAsync(read, key, cancellationToken).ConfigureAwait(false)).Value;

    private async ValueTask<CacheLookup<T>> AwaitRenewAsync<T>(ValueTask<CacheRead<T>> read, string key, CancellationToken cancellationToken)
    {
        var result = await read.ConfigureAwait(false);
        PersistenceTelemetry.CacheLookup("sqlite", result.Outcome);
        if (result.Slides)
        {
            await RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        }

        return result.Lookup;
    }

    /// <summary>What <see cref="ReadEntryAsync"/> read, and whether the hit must renew a sliding entry.</summary>
    private readonly struct EntryRead<T>(CacheEntryRead<T> entry, bool slides)
    {
        public CacheEntryRead<T> Entry { get; } = entry;

        public bool Slides { get; } = slides;
    }

    private readonly record struct CacheRead<T>(CacheLookup<T> Lookup, bool Slides, bool IsExpired = false, bool IsBusy = false)
    {
        public static CacheRead<T> Expired => new(default, Slides: false, IsExpired: true);

        /// <summary>Nothing was read: the database was busy (only the inline get's own marker, never returned).</summary>
        public static CacheRead<T> Busy => new(default, Slides: false, IsBusy: true);

        public CacheOutcome Outcome => Lookup.Found ? CacheOutcome.Hit : IsExpired ? CacheOutcome.Expired : CacheOutcome.Miss;
    }
}
