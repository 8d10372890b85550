using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

internal sealed partial class InMemoryIdempotencyProvider : IPrunable, IAdminSource, IAdminListing<IdempotencyKeySummary>
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) => new(Prune(NowMs));

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        lock (_table.Sync)
        {
            return new ValueTask<PersistenceStats>(stats with { Idempotency = InMemoryCounts.Of(_table, _ns, NowMs) });
        }
    }

    public ValueTask<IReadOnlyList<IdempotencyKeySummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        var list = new List<IdempotencyKeySummary>();
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Rows)
            {
                if (!_ns.Contains(stored) || !Ttl.IsLive(row.ExpiresAtMs, now))
                {
                    continue;
                }

                var key = _ns.Strip(stored);
                if (Glob.IsMatch(pattern, key))
                {
                    list.Add(new IdempotencyKeySummary(
                        key,
                        row.ExpiresAtMs is { } expires ? Ttl.FromUnixMs(expires) : null,
                        Ttl.FromUnixMs(row.CreatedAtMs),
                        row.Value.Length));
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new ValueTask<IReadOnlyList<IdempotencyKeySummary>>(list);
    }
}
