using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

internal sealed partial class InMemoryCacheProvider : IPrunable, IAdminSource
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
}
