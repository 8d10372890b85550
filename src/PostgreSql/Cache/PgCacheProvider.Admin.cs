using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgCacheProvider : IPrunable, IAdminSource
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns, now: NowMs), static async (c, s, ct) =>
            s.stats with { Cache = await PgCounts.LiveAndExpiredAsync(c, PgCacheSql.AdminCounts, s._ns, s.now, ct).ConfigureAwait(false) }, cancellationToken);
}
