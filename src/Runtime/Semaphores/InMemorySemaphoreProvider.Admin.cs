namespace NativeAotPersistence;

internal sealed partial class InMemorySemaphoreProvider : IPrunable, IAdminSource, IAdminListing<SemaphoreInfo>
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken)
    {
        var now = NowMs;
        var removed = 0;
        lock (_table.Sync)
        {
            foreach (var (stored, holders) in _table.Keys)
            {
                if (_ns.Contains(stored))
                {
                    var before = holders.Count;
                    RemoveExpired(holders, now);
                    removed += before - holders.Count;
                    if (holders.Count == 0)
                    {
                        _table.Keys.Remove(stored);
                    }
                }
            }
        }

        return new ValueTask<int>(removed);
    }

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        int live = 0, expired = 0;
        lock (_table.Sync)
        {
            foreach (var (stored, holders) in _table.Keys)
            {
                if (_ns.Contains(stored))
                {
                    foreach (var row in holders.Values)
                    {
                        _ = now < row.ExpiresAtMs ? live++ : expired++;
                    }
                }
            }
        }

        return new ValueTask<PersistenceStats>(stats with { Semaphores = new RowCounts(live, expired) });
    }

    public ValueTask<IReadOnlyList<SemaphoreInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        var list = new List<SemaphoreInfo>();
        lock (_table.Sync)
        {
            foreach (var (stored, holders) in _table.Keys)
            {
                if (_ns.Contains(stored) && Info(_ns.Strip(stored), holders, now) is { } info)
                {
                    list.Add(info);
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new ValueTask<IReadOnlyList<SemaphoreInfo>>(list);
    }
}
