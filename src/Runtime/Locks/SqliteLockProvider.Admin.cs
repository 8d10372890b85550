using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

internal sealed partial class SqliteLockProvider : IPrunable, IAdminSource, IAdminListing<LockInfo>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), static (c, s) =>
            s.stats with { Locks = SqliteCounts.LiveAndExpired(c, SqlId.AdminLockCounts, s._ns, s.now, "admin.stats") }, cancellationToken);

    public ValueTask<IReadOnlyList<LockInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.locks", (_ns, now: NowMs), static (c, s) =>
        {
            const string op = "admin.locks";
            var list = new List<LockInfo>();
            var statement = c.Statement(SqlId.AdminLocks, op);
            try
            {
                c.BindRange(statement, s._ns, default, op);
                c.BindInt64(statement, 3, s.now, op);
                while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
                {
                    var key = SqliteConnection.ReadText(statement, 0, s._ns.Utf8.Length);
                    try
                    {
                        list.Add(ReadInfo(c, statement, key, 1, op));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_locks", key))
                    {
                    }
                }
            }
            finally
            {
                c.Reset(statement);
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<LockInfo>)list;
        }, cancellationToken);
}
