using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteSemaphoreProvider : IPrunable, IAdminSource, IAdminListing<SemaphoreInfo>
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("semaphore.prune", (_ns, now: NowMs), static (c, s) => SqliteSweep.Expired(c, SqliteSemaphoreSql.Sweep, "semaphore.prune", s._ns, s.now), cancellationToken);

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { Semaphores = SqliteCounts.LiveAndExpired(c, SqliteSemaphoreSql.AdminCounts, s._ns, s.now, "admin.stats") }, cancellationToken);

    public ValueTask<IReadOnlyList<SemaphoreInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.semaphores", (_ns, now: NowMs), static (c, s) =>
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
            return (IReadOnlyList<SemaphoreInfo>)list;
        }, cancellationToken);
}
