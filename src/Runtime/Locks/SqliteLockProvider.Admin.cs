using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteLockProvider : IPrunable, IAdminSource, IAdminListing<LockInfo>
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _ns, long now) s) =>
        s.stats with { Locks = SqliteCounts.LiveAndExpired(c, SqliteLockSql.AdminCounts, s._ns, s.now, "admin.stats") };

    public unsafe ValueTask<IReadOnlyList<LockInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.locks", (_ns, now: NowMs), &AdminListBody, cancellationToken);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<LockInfo> AdminListBody(SqliteConnection c, (KeyNamespace _ns, long now) s)
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
        return list;
    }
}
