using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgCircuitBreakerStateProvider : IAdminSource, IAdminListing<CircuitSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns), static async (c, s, ct) =>
            s.stats with { Circuits = await PgCounts.RowsAsync(c, PgCircuitBreakerSql.AdminList, s._ns, ct).ConfigureAwait(false) }, cancellationToken);

    public ValueTask<IReadOnlyList<CircuitSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        var db = Db;
        return db.RunAsync("admin.circuits", PgWork.Read, (_ns, db.DataSource, now: NowMs), static async (c, s, ct) =>
        {
            const string op = "admin.circuits";
            var list = new List<CircuitSummary>();
            await using var command = c.Command(PgCircuitBreakerSql.AdminList).Range(s._ns);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._ns.Utf8.Length);
                    try
                    {
                        var state = ReadState(reader, key, op, s.DataSource, first: 1);
                        var summary = new CircuitSummary(key, state, reader.ReadTime(5, "go_goscope_circuit", key, op, s.DataSource));
                        list.Add(CircuitStates.WithFleet(summary, reader.IsDBNull(6) ? null : reader.GetString(6), s.now));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_circuit", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<CircuitSummary>)list;
        }, cancellationToken);
    }
}
