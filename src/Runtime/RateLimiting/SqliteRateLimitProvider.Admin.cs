using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteRateLimitProvider : IPrunable, IAdminSource
{
    public unsafe ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("ratelimit.prune", (_ns, now: NowMs), &PruneBody, cancellationToken);

    private static int PruneBody(SqliteConnection c, (KeyNamespace _ns, long now) s) =>
        SqliteSweep.Expired(c, SqliteRateLimitSql.Sweep, "ratelimit.prune", s._ns, s.now);

    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _ns, long now) s) =>
        s.stats with { RateLimits = SqliteCounts.LiveAndExpired(c, SqliteRateLimitSql.AdminCounts, s._ns, s.now, "admin.stats") };
}
