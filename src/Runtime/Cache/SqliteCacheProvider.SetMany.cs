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
        var sweep = _sweeps.OnWrites(expiry.ExpiresAtMs, now, entries.Length);

        // One transaction of its own (BEGIN IMMEDIATE ... COMMIT), or a savepoint inside a group commit: an entry that
        // fails (a payload that does not serialize) rolls back the entries before it.
        return Ignore(Pool.WriteAsync("cache.set_many", (Self: this, entries, expiry, now, typeInfo, sweep, tags), &SetManyBody<T>, cancellationToken));
    }

    private static unsafe int SetManyBody<T>(SqliteConnection c, (SqliteCacheProvider Self, ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheExpiry expiry, long now, PayloadTypeInfo<T> typeInfo, int sweep, string? tags) s)
    {
        c.InTransaction(s, &SetManyInTransaction<T>, "cache.set_many");

        // After the batch's own transaction, as many rows as the batch's writes would have swept one by one. Best effort:
        // the batch has committed (or is part of a group that will), so a sweep that fails must not fail the call.
        if (s.sweep > 0)
        {
            int removed;
            try
            {
                removed = SqliteSweep.TryExpired(c, SqliteCacheSql.Sweep, "cache.sweep", s.Self._ns, s.now, s.sweep);
            }
            catch (PersistenceException)
            {
                removed = -1;
            }

            s.Self._sweeps.Swept(removed, s.sweep);
        }

        return 0;
    }

    private static int SetManyInTransaction<T>(SqliteConnection c, (SqliteCacheProvider Self, ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheExpiry expiry, long now, PayloadTypeInfo<T> typeInfo, int sweep, string? tags) s)
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

        return 0;
    }
}
