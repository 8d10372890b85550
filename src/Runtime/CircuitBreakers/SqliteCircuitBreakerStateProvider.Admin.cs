using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteCircuitBreakerStateProvider : IAdminSource, IAdminListing<CircuitSummary>
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, ns: _ns, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace ns, long now) s) =>
        s.stats with { Circuits = SqliteCounts.Rows(c, SqliteCircuitSql.AdminList, s.ns, "admin.stats") };

    public unsafe ValueTask<IReadOnlyList<CircuitSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.circuits", (ns: _ns, now: NowMs), &AdminListBody, cancellationToken);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<CircuitSummary> AdminListBody(SqliteConnection c, (KeyNamespace ns, long now) s)
    {
        var ns = s.ns;
        const string op = "admin.circuits";
        var list = new List<CircuitSummary>();
        using (var statement = c.Statement(SqliteCircuitSql.AdminList, op))
        {
            statement.BindRange(ns, default);
            while (statement.StepRow())
            {
                var key = statement.ReadText(0, ns.Utf8.Length);
                try
                {
                    var state = ReadState(statement, key, first: 1);
                    list.Add(CircuitStates.WithFleet(new CircuitSummary(key, state, statement.ReadTime(5, "go_goscope_circuit", key)), statement.ReadNullableText(6), s.now));
                }
                catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_circuit", key))
                {
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }
}
