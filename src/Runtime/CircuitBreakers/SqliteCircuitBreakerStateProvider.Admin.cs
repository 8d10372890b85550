using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

internal sealed partial class SqliteCircuitBreakerStateProvider : IAdminSource, IAdminListing<CircuitSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _ns), static (c, s) =>
            s.stats with { Circuits = SqliteCounts.Rows(c, SqlId.AdminCircuits, s._ns, "admin.stats") }, cancellationToken);

    public ValueTask<IReadOnlyList<CircuitSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.circuits", _ns, static (c, ns) =>
        {
            const string op = "admin.circuits";
            var list = new List<CircuitSummary>();
            var statement = c.Statement(SqlId.AdminCircuits, op);
            try
            {
                c.BindRange(statement, ns, default, op);
                while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
                {
                    var key = SqliteConnection.ReadText(statement, 0, ns.Utf8.Length);
                    try
                    {
                        var state = ReadState(c, statement, key, op, first: 1);
                        list.Add(new CircuitSummary(key, state, c.ReadTime(statement, 5, "go_goscope_circuit", key, op)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_circuit", key))
                    {
                    }
                }
            }
            finally
            {
                c.Reset(statement);
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<CircuitSummary>)list;
        }, cancellationToken);
}
