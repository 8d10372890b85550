using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>A batch of sets: one write on the writer connection, so one transaction and one commit.</summary>
internal sealed partial class SqliteCacheProvider : ICacheBatchStore
{
    public unsafe ValueTask SetManyAsync<T>(ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var tags = CacheTags.Encode(options);
        var sweep = _sweeps.OnWrite(expiry.ExpiresAtMs, now);

        // One transaction of its own (BEGIN IMMEDIATE ... COMMIT), or a savepoint inside a group commit: an entry that
        // fails (a payload that does not serialize) rolls back the entries before it.
        return Ignore(Pool.WriteAsync("cache.set_many", (Self: this, entries, expiry, now, typeInfo, sweep, tags), &SetManyBody<T>, cancellationToken));
    }

    private static unsafe int SetManyBody<T>(SqliteConnection c, (SqliteCacheProvider Self, ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheExpiry expiry, long now, PayloadTypeInfo<T> typeInfo, bool sweep, string? tags) s) =>
        c.InTransaction(s, &SetManyInTransaction<T>, "cache.set_many");

    private static int SetManyInTransaction<T>(SqliteConnection c, (SqliteCacheProvider Self, ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheExpiry expiry, long now, PayloadTypeInfo<T> typeInfo, bool sweep, string? tags) s)
    {
        const string op = "cache.set_many";
        var ns = s.Self._ns;

        // An entry with nothing but an absolute expiry takes the plain set (four parameters), as SetAsync with a TTL does.
        var plain = s.expiry.SlidingMs is null && s.expiry.AbsoluteMs is null && s.expiry.FreshUntilMs is null && s.tags is null;
        foreach (var entry in s.entries.Span)
        {
            using var statement = c.Statement(plain ? SqliteCacheSql.Set : SqliteCacheSql.SetEntry, op);
            statement.BindKey(1, ns, entry.Key);
            statement.BindPayload(2, s.typeInfo, entry.Value, entry.Key);
            statement.BindInt64(3, s.expiry.ExpiresAtMs);
            statement.BindInt64(4, s.now);
            if (!plain)
            {
                statement.BindInt64(5, s.expiry.SlidingMs);
                statement.BindInt64(6, s.expiry.AbsoluteMs);
                statement.BindNullableText(7, s.tags);
                statement.BindInt64(8, s.expiry.FreshUntilMs);
            }

            statement.Step();
        }

        if (s.sweep)
        {
            s.Self._sweeps.Swept(SqliteSweep.TryExpired(c, SqliteCacheSql.Sweep, "cache.sweep", ns, s.now, SweepSchedule.Batch));
        }

        return 0;
    }
}
