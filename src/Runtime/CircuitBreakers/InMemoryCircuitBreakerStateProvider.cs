using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>
/// The in-memory circuit-breaker state: the rows of <see cref="SqliteCircuitBreakerStateProvider"/> in a
/// <see cref="CircuitTable"/>; a fleet breaker's update (<see cref="ICircuitStore"/>) runs under the table's lock.
/// </summary>
internal sealed partial class InMemoryCircuitBreakerStateProvider : InMemoryProvider, ICircuitBreakerStateProvider, ICircuitStore
{
    private readonly KeyNamespace _ns;
    private readonly CircuitTable _table;

    public InMemoryCircuitBreakerStateProvider(InMemoryContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "circuit");
        _table = Store.Circuits;
    }

    TimeProvider ICircuitStore.Time => Time;

    public ValueTask UpdateAsync(string key, CircuitRule rule, CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(rule);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            CircuitRow? current = null;
            if (_table.Rows.TryGetValue(stored, out var old))
            {
                if (!CircuitStates.TryParse(old.State, out var state))
                {
                    throw PayloadErrors.UnknownCircuitState(old.State, key, "circuit.update", InMemoryPersistence.DataSource);
                }

                current = new CircuitRow
                {
                    State = state,
                    FailureCount = (int)Math.Min(int.MaxValue, old.FailureCount),
                    LastFailureMs = old.LastFailureTimeMs,
                    LastSuccessMs = old.LastSuccessTimeMs,
                    Fleet = old.Fleet,
                };
            }

            var now = NowMs;
            if (rule.Apply(current, now) is { } row)
            {
                _table.Rows[stored] = new StoredCircuit(
                    CircuitStates.ToText(row.State), row.FailureCount, row.LastFailureMs, row.LastSuccessMs, now, row.Fleet);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<CircuitBreakerPersistedState?>(cancellationToken);
        }

        StoredCircuit row;
        lock (_table.Sync)
        {
            if (!_table.Rows.TryGetValue(_ns.Stored(key), out row))
            {
                return new ValueTask<CircuitBreakerPersistedState?>((CircuitBreakerPersistedState?)null);
            }
        }

        if (!CircuitStates.TryParse(row.State, out var state))
        {
            throw PayloadErrors.UnknownCircuitState(row.State, key, "circuit.get", InMemoryPersistence.DataSource);
        }

        return new ValueTask<CircuitBreakerPersistedState?>(new CircuitBreakerPersistedState(
            state,
            (int)Math.Min(int.MaxValue, row.FailureCount),
            CircuitStates.FromUnixMs(row.LastFailureTimeMs),
            CircuitStates.FromUnixMs(row.LastSuccessTimeMs)));
    }

    public ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        CircuitStates.Validate(state);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // An explicit state replaces the whole row, the fleet state too.
        var row = new StoredCircuit(
            CircuitStates.ToText(state.State),
            state.FailureCount,
            CircuitStates.ToUnixMs(state.LastFailureTime),
            CircuitStates.ToUnixMs(state.LastSuccessTime),
            now);
        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            // Half-open does not end an isolation (as on SQLite).
            if (state.State != CircuitState.HalfOpen || !Isolated(stored))
            {
                _table.Rows[stored] = row;
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        var stored = _ns.Stored(key);
        StoredCircuit row;
        lock (_table.Sync)
        {
            // One critical section, so concurrent failures add exactly one each. Past maxFailures it keeps counting;
            // below it the stored state stays as it is (SQLite: CASE ... ELSE state END). The fleet state is kept.
            row = _table.Rows.TryGetValue(stored, out var old)
                ? old with
                {
                    FailureCount = old.FailureCount + 1,
                    State = old.FailureCount + 1 >= maxFailures ? "open" : old.State,
                    LastFailureTimeMs = now,
                    UpdatedAtMs = now,
                }
                : new StoredCircuit(maxFailures <= 1 ? "open" : "closed", 1, now, null, now);
            _table.Rows[stored] = row;
        }

        return new ValueTask<int>((int)Math.Min(int.MaxValue, row.FailureCount));
    }

    public ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var stored = _ns.Stored(key);
        lock (_table.Sync)
        {
            // Closed, count 0, and last_failure_time (and the fleet state) kept; an isolated circuit stays as it is.
            if (!Isolated(stored))
            {
                _table.Rows[stored] = _table.Rows.TryGetValue(stored, out var old)
                    ? old with { State = "closed", FailureCount = 0, LastSuccessTimeMs = now, UpdatedAtMs = now }
                    : new StoredCircuit("closed", 0, null, now, now);
            }
        }

        return ValueTask.CompletedTask;
    }

    // Under _table.Sync.
    private bool Isolated(string stored) =>
        _table.Rows.TryGetValue(stored, out var row) && row.Fleet is { } fleet && fleet.StartsWith(CircuitFleetState.IsolatedPrefix, StringComparison.Ordinal);
}
