using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteCacheProvider : IPrunable, IAdminSource, IAdminListing<CacheTagSummary>
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _ns, long now) s) =>
        s.stats with { Cache = SqliteCounts.LiveAndExpired(c, SqliteCacheSql.AdminCounts, s._ns, s.now, "admin.stats") };

    public unsafe ValueTask<IReadOnlyList<CacheTagSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.cache_tags", (_ns, now: NowMs), &AdminTagsBody, cancellationToken);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<CacheTagSummary> AdminTagsBody(SqliteConnection c, (KeyNamespace _ns, long now) s)
    {
        const string op = "admin.cache_tags";
        var list = new List<CacheTagSummary>();
        using var statement = c.Statement(SqliteCacheSql.AdminTags, op);
        statement.BindRange(s._ns, default);
        statement.BindInt64(3, s.now);
        while (statement.StepRow())
        {
            list.Add(new CacheTagSummary(statement.ReadText(0), new RowCounts(statement.ColumnInt(1), statement.ColumnInt(2))));
        }

        return list;
    }
}
