using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteCacheProvider : IPrunable, IAdminSource
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _ns, long now) s) =>
        s.stats with { Cache = SqliteCounts.LiveAndExpired(c, SqliteCacheSql.AdminCounts, s._ns, s.now, "admin.stats") };
}
