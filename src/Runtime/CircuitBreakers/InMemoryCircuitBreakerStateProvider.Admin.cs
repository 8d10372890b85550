using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

internal sealed partial class InMemoryCircuitBreakerStateProvider : IAdminSource, IAdminListing<CircuitSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        lock (_table.Sync)
        {
            return new ValueTask<PersistenceStats>(stats with { Circuits = _table.Rows.Keys.Count(_ns.Contains) });
        }
    }

    public ValueTask<IReadOnlyList<CircuitSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var list = new List<CircuitSummary>();
        var now = NowMs;
        lock (_table.Sync)
        {
            foreach (var (stored, row) in _table.Rows)
            {
                // A row whose state this release does not know is skipped, as SQLite's listing skips it.
                if (_ns.Contains(stored) && CircuitStates.TryParse(row.State, out var state))
                {
                    var summary = new CircuitSummary(
                        _ns.Strip(stored),
                        new CircuitBreakerPersistedState(
                            state,
                            (int)Math.Min(int.MaxValue, row.FailureCount),
                            CircuitStates.FromUnixMs(row.LastFailureTimeMs),
                            CircuitStates.FromUnixMs(row.LastSuccessTimeMs)),
                        Ttl.FromUnixMs(row.UpdatedAtMs));
                    list.Add(CircuitStates.WithFleet(summary, row.Fleet, now));
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new ValueTask<IReadOnlyList<CircuitSummary>>(list);
    }
}
