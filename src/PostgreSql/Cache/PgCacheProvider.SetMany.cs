using NativeAotPersistence.PostgreSql;
using Npgsql;

namespace NativeAotPersistence;

/// <summary>A batch of sets: one transaction (BEGIN and a batch of upserts in one round trip, then COMMIT), so one commit flush.</summary>
internal sealed partial class PgCacheProvider : ICacheBatchStore
{
    public async ValueTask SetManyAsync<T>(ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var tags = CacheTags.Encode(options);

        // Serialized before the transaction (a payload that does not serialize stores nothing), and kept for a retry. A key
        // given twice keeps its last value, and the rows go in key order, so two batches that share keys lock them in the
        // same order and never deadlock each other.
        var span = entries.Span;
        var last = new Dictionary<string, int>(span.Length, StringComparer.Ordinal);
        for (var i = 0; i < span.Length; i++)
        {
            last[span[i].Key] = i;
        }

        var rows = new (string Key, byte[] Json)[last.Count];
        var n = 0;
        foreach (var (key, index) in last)
        {
            rows[n++] = (key, StoredPayloads.Serialize(typeInfo, key, span[index].Value));
        }

        Array.Sort(rows, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        // One batch of upserts (one round trip with the BEGIN) inside the transaction, then the COMMIT.
        await Db.RunAsync("cache.set_many", PgWork.Transaction, (self: this, rows, expiry, now, tags), static async (c, s, ct) =>
        {
            await using var batch = new NpgsqlBatch(c);
            foreach (var (key, json) in s.rows)
            {
                var command = new NpgsqlBatchCommand(PgCacheSql.SetEntry);
                command.Parameters.Key(s.self._ns, key).Json(json)
                    .Int64(s.expiry.ExpiresAtMs).Int64(s.now).Int64(s.expiry.SlidingMs).Int64(s.expiry.AbsoluteMs).NullableText(s.tags).Int64(s.expiry.FreshUntilMs);
                batch.BatchCommands.Add(command);
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);

        // After the commit, on its own (inside the transaction a failed statement would abort it): as many rows as the
        // batch's writes would have swept one by one; best effort.
        var sweep = _sweeps.OnWrites(expiry.ExpiresAtMs, now, rows.Length);
        if (sweep > 0)
        {
            int removed;
            try
            {
                removed = await Db.RunAsync("cache.sweep", PgWork.Idempotent, (_ns, now, sweep), static (c, s, ct) => PgSweep.SweepAsync(c, PgCacheSql.Sweep, s._ns, s.now, s.sweep, ct), CancellationToken.None).ConfigureAwait(false);
            }
            catch (PersistenceException)
            {
                removed = -1;
            }

            _sweeps.Swept(removed, sweep);
        }
    }
}
