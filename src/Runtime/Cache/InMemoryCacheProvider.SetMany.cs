using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>A batch of sets: every payload serialized first, then every row put under one hold of the table's lock.</summary>
internal sealed partial class InMemoryCacheProvider : ICacheBatchStore
{
    public ValueTask SetManyAsync<T>(ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        var expiry = CacheExpiry.From(options, now);
        var tags = CacheTags.Distinct(options);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // A payload that does not serialize throws here, before any row is put: all or none.
        var span = entries.Span;
        var rows = new (string Stored, byte[] Bytes)[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            rows[i] = (_ns.Stored(span[i].Key), typeInfo.SerializeFor(span[i].Key, span[i].Value));
        }

        var sweep = _sweeps.OnWrites(expiry.ExpiresAtMs, now, rows.Length);
        lock (_table.Sync)
        {
            foreach (var (stored, bytes) in rows)
            {
                _table.Put(stored, new ExpiringRow(bytes, expiry.ExpiresAtMs, now, now, expiry.SlidingMs, expiry.AbsoluteMs, tags, expiry.FreshUntilMs));
            }

            if (sweep > 0)
            {
                _sweeps.Swept(_table.Sweep(_ns, now, sweep), sweep);
            }
        }

        return ValueTask.CompletedTask;
    }
}
