using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteSemaphoreProvider : IPrunable, IAdminSource, IAdminListing<SemaphoreInfo>
{
    public unsafe ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("semaphore.prune", (_ns, now: NowMs), &PruneBody, cancellationToken);

    private static int PruneBody(SqliteConnection c, (KeyNamespace _ns, long now) s) =>
        SqliteSweep.Expired(c, SqliteSemaphoreSql.Sweep, "semaphore.prune", s._ns, s.now);

    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _ns, long now) s) =>
        s.stats with { Semaphores = SqliteCounts.LiveAndExpired(c, SqliteSemaphoreSql.AdminCounts, s._ns, s.now, "admin.stats") };

    public unsafe ValueTask<IReadOnlyList<SemaphoreInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.semaphores", (_ns, now: NowMs), &AdminListBody, cancellationToken);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<SemaphoreInfo> AdminListBody(SqliteConnection c, (KeyNamespace _ns, long now) s)
    {
        const string op = "admin.semaphores";
        var list = new List<SemaphoreInfo>();
        using (var statement = c.Statement(SqliteSemaphoreSql.AdminList, op))
        {
            statement.BindRange(s._ns, default);
            statement.BindInt64(3, s.now);
            string? key = null;
            var permits = 0;
            List<SemaphoreHolder>? holders = null;
            while (statement.StepRow())
            {
                var rowKey = statement.ReadText(0, s._ns.Utf8.Length);
                try
                {
                    var holder = ReadHolder(statement, rowKey, 1);
                    if (!string.Equals(rowKey, key, StringComparison.Ordinal))
                    {
                        if (key is not null)
                        {
                            list.Add(new SemaphoreInfo(key, permits, holders!));
                        }

                        (key, holders) = (rowKey, []);
                    }

                    permits = statement.ColumnInt(4);
                    holders!.Add(holder);
                }
                catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_semaphores", rowKey))
                {
                }
            }

            if (key is not null)
            {
                list.Add(new SemaphoreInfo(key, permits, holders!));
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }
}
