using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteCacheProvider : IPrunable, IAdminSource
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { Cache = SqliteCounts.LiveAndExpired(c, SqliteCacheSql.AdminCounts, s._ns, s.now, "admin.stats") }, cancellationToken);
}
