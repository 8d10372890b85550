namespace NativeAotPersistence;

internal sealed partial class InMemoryLockProvider : IPrunable, IAdminSource, IAdminListing<LockInfo>
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) => new(Prune(NowMs));

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        int live = 0, expired = 0;
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Rows)
            {
                if (_ns.Contains(stored))
                {
                    _ = now < row.ExpiresAtMs ? live++ : expired++;
                }
            }
        }

        return new ValueTask<PersistenceStats>(stats with { Locks = new RowCounts(live, expired) });
    }

    public ValueTask<IReadOnlyList<LockInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var now = NowMs;
        var list = new List<LockInfo>();
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Rows)
            {
                if (_ns.Contains(stored) && now < row.ExpiresAtMs)
                {
                    list.Add(new LockInfo(_ns.Strip(stored), row.Owner, Ttl.FromUnixMs(row.ExpiresAtMs), row.FencingToken) { Holder = HolderIdentity.Self });
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new ValueTask<IReadOnlyList<LockInfo>>(list);
    }
}
