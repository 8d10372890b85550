using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteRateLimitProvider : IPrunable, IAdminSource
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("ratelimit.prune", (_ns, now: NowMs), static (c, s) => SqliteSweep.Expired(c, SqliteRateLimitSql.Sweep, "ratelimit.prune", s._ns, s.now), cancellationToken);

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { RateLimits = SqliteCounts.LiveAndExpired(c, SqliteRateLimitSql.AdminCounts, s._ns, s.now, "admin.stats") }, cancellationToken);
}
