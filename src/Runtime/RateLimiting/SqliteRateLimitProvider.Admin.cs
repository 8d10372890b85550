using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteRateLimitProvider : IPrunable, IAdminSource
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("ratelimit.prune", (_ns, now: NowMs), static (c, s) =>
        {
            const string op = "ratelimit.prune";
            using var statement = c.Statement(SqliteRateLimitSql.Sweep, op);
            statement.BindRange(s._ns, default);
            statement.BindInt64(3, s.now);
            statement.Step();
            return statement.Changes();
        }, cancellationToken);

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { RateLimits = SqliteCounts.LiveAndExpired(c, SqliteRateLimitSql.AdminCounts, s._ns, s.now, "admin.stats") }, cancellationToken);
}
