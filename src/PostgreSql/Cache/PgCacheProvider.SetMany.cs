using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>A batch of sets: one transaction (BEGIN, an upsert per entry, COMMIT), so one commit flush.</summary>
internal sealed partial class PgCacheProvider : ICacheBatchStore
{
    public async ValueTask SetManyAsync<T>(ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var tags = CacheTags.Encode(options);

        // Serialized before the transaction (a payload that does not serialize stores nothing), and kept for a retry.
        var span = entries.Span;
        var rows = new (string Key, byte[] Json)[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            rows[i] = (span[i].Key, StoredPayloads.Serialize(typeInfo, span[i].Key, span[i].Value));
        }

        var sweep = _sweeps.OnWrite(expiry.ExpiresAtMs, now);
        await Db.RunAsync("cache.set_many", PgWork.Transaction, (self: this, rows, expiry, now, sweep, tags), static async (c, s, ct) =>
        {
            foreach (var (key, json) in s.rows)
            {
                await using var command = c.Command(PgCacheSql.SetEntry).Key(s.self._ns, key).Json(json)
                    .Int64(s.expiry.ExpiresAtMs).Int64(s.now).Int64(s.expiry.SlidingMs).Int64(s.expiry.AbsoluteMs).NullableText(s.tags).Int64(s.expiry.FreshUntilMs);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (s.sweep)
            {
                await PgSweep.TrySweepAsync(c, PgCacheSql.Sweep, s.self._ns, s.now, s.self._sweeps).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }
}
