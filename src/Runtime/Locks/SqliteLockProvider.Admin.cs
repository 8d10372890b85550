using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteLockProvider : IPrunable, IAdminSource, IAdminListing<LockInfo>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { Locks = SqliteCounts.LiveAndExpired(c, SqliteLockSql.AdminCounts, s._ns, s.now, "admin.stats") }, cancellationToken);

    public ValueTask<IReadOnlyList<LockInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.locks", (_ns, now: NowMs), static (c, s) =>
        {
            const string op = "admin.locks";
            var list = new List<LockInfo>();
            using (var statement = c.Statement(SqliteLockSql.AdminList, op))
            {
                statement.BindRange(s._ns, default);
                statement.BindInt64(3, s.now);
                while (statement.StepRow())
                {
                    var key = statement.ReadText(0, s._ns.Utf8.Length);
                    try
                    {
                        list.Add(ReadInfo(statement, key, 1));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_locks", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<LockInfo>)list;
        }, cancellationToken);
}
