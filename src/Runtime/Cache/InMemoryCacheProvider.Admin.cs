using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

internal sealed partial class InMemoryCacheProvider : IPrunable, IAdminSource, IAdminListing<CacheTagSummary>
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) => new(Prune(NowMs));

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        lock (_table.Sync)
        {
            return new ValueTask<PersistenceStats>(stats with { Cache = InMemoryCounts.Of(_table, _ns, NowMs) });
        }
    }

    public ValueTask<IReadOnlyList<CacheTagSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        var counts = new Dictionary<string, (int Live, int Expired)>(StringComparer.Ordinal);
        lock (_table.Sync)
        {
            foreach (var (key, row) in _table.Rows)
            {
                if (row.Tags is not { } tags || !_ns.Contains(key))
                {
                    continue;
                }

                var live = Ttl.IsLive(row.LiveUntilMs, now);
                foreach (var tag in tags)
                {
                    var (l, e) = counts.GetValueOrDefault(tag);
                    counts[tag] = live ? (l + 1, e) : (l, e + 1);
                }
            }
        }

        var list = new List<CacheTagSummary>(counts.Count);
        foreach (var (tag, (live, expired)) in counts)
        {
            list.Add(new CacheTagSummary(tag, new RowCounts(live, expired)));
        }

        // SQLite and PostgreSQL order by the tag's UTF-8 bytes: code point order.
        list.Sort(static (a, b) => CodePointComparer.Instance.Compare(a.Tag, b.Tag));
        return new ValueTask<IReadOnlyList<CacheTagSummary>>(list);
    }
}
