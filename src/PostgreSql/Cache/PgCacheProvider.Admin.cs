using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgCacheProvider : IPrunable, IAdminSource, IAdminListing<CacheTagSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns, now: NowMs), static async (c, s, ct) =>
            s.stats with { Cache = await PgCounts.LiveAndExpiredAsync(c, PgCacheSql.AdminCounts, s._ns, s.now, ct).ConfigureAwait(false) }, cancellationToken);

    public ValueTask<IReadOnlyList<CacheTagSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.cache_tags", PgWork.Read, (_ns, now: NowMs), static async (c, s, ct) =>
        {
            var list = new List<CacheTagSummary>();
            await using var command = c.Command(PgCacheSql.AdminTags).Range(s._ns).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new CacheTagSummary(reader.GetString(0), new RowCounts((int)reader.GetInt64(1), (int)reader.GetInt64(2))));
                }
            }

            return (IReadOnlyList<CacheTagSummary>)list;
        }, cancellationToken);
}
