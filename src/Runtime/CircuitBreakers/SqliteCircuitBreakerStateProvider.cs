using System.Text;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>
/// The SQLite circuit-breaker state: one row per breaker in <c>go_goscope_circuit</c>. A fleet breaker's update
/// (<see cref="ICircuitStore"/>) reads, decides and writes its row in one <c>BEGIN IMMEDIATE</c> transaction on the
/// writer (or a savepoint of a group commit), so the processes on one file take turns; the clock is read inside it.
/// </summary>
internal sealed partial class SqliteCircuitBreakerStateProvider : SqliteProvider, ICircuitBreakerStateProvider, ICircuitStore
{
    private readonly KeyNamespace _ns;

    public SqliteCircuitBreakerStateProvider(SqliteContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "circuit");
    }

    TimeProvider ICircuitStore.Time => Time;

    public unsafe ValueTask UpdateAsync(string key, CircuitRule rule, CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(rule);
        // The state has the rate limits' shape (a namespace, a key, a rule, a number, a clock) and the same result type:
        // NativeAOT shares their whole write path rather than carrying a second one.
        return Ignore(Pool.WriteAsync("circuit.update", (_ns, key, rule, argument: 0L, Time), &UpdateBody, cancellationToken));
    }

    private static unsafe long UpdateBody(SqliteConnection c, (KeyNamespace _ns, string key, CircuitRule rule, long argument, TimeProvider Time) s) =>
        c.InTransaction(s, &UpdateInTransaction, "circuit.update");

    private static long UpdateInTransaction(SqliteConnection c, (KeyNamespace _ns, string key, CircuitRule rule, long argument, TimeProvider Time) s)
    {
        const string op = "circuit.update";
        CircuitRow? stored = null;
        using (var select = c.Statement(SqliteCircuitSql.Select, op))
        {
            select.BindKey(1, s._ns, s.key);
            if (select.StepRow())
            {
                var state = ReadState(select, s.key);
                stored = new CircuitRow
                {
                    State = state.State,
                    FailureCount = state.FailureCount,
                    LastFailureMs = CircuitStates.ToUnixMs(state.LastFailureTime),
                    LastSuccessMs = CircuitStates.ToUnixMs(state.LastSuccessTime),
                    Fleet = select.ReadNullableText(4),
                };
            }
        }

        // The writer is ours (BEGIN IMMEDIATE): whatever the wait for it, the decision is made at this time.
        var now = Ttl.NowMs(s.Time);
        if (s.rule.Apply(stored, now) is not { } row)
        {
            return 0L;
        }

        using var upsert = c.Statement(SqliteCircuitSql.Upsert, op);
        upsert.BindKey(1, s._ns, s.key);
        upsert.BindText(2, CircuitStates.ToUtf8(row.State));
        upsert.BindInt64(3, row.FailureCount);
        upsert.BindInt64(4, row.LastFailureMs);
        upsert.BindInt64(5, row.LastSuccessMs);
        upsert.BindNullableText(6, row.Fleet);
        upsert.BindInt64(7, now);
        return (long)upsert.Step();
    }

    public unsafe ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.ReadAsync("circuit.get", (_ns, key), &GetBody, cancellationToken);
    }

    private static CircuitBreakerPersistedState? GetBody(SqliteConnection c, (KeyNamespace _ns, string key) s)
    {
        const string op = "circuit.get";
        using var statement = c.Statement(SqliteCircuitSql.Get, op);
        statement.BindKey(1, s._ns, s.key);
        if (!statement.StepRow())
        {
            return null;
        }

        return ReadState(statement, s.key);
    }

    public unsafe ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        CircuitStates.Validate(state);
        return Ignore(Pool.WriteAsync("circuit.set", (_ns, key, state, now: NowMs), &SetBody, cancellationToken));
    }

    private static int SetBody(SqliteConnection c, (KeyNamespace _ns, string key, CircuitBreakerPersistedState state, long now) s)
    {
        const string op = "circuit.set";
        using var statement = c.Statement(SqliteCircuitSql.Set, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindText(2, CircuitStates.ToUtf8(s.state.State));
        statement.BindInt64(3, s.state.FailureCount);
        statement.BindInt64(4, CircuitStates.ToUnixMs(s.state.LastFailureTime));
        statement.BindInt64(5, CircuitStates.ToUnixMs(s.state.LastSuccessTime));
        statement.BindInt64(6, s.now);
        return statement.Step();
    }

    public unsafe ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        return Pool.WriteAsync("circuit.record_failure", (_ns, key, maxFailures, now: NowMs), &RecordFailureBody, cancellationToken);
    }

    private static int RecordFailureBody(SqliteConnection c, (KeyNamespace _ns, string key, int maxFailures, long now) s)
    {
        const string op = "circuit.record_failure";
        using var statement = c.Statement(SqliteCircuitSql.Failure, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindInt64(2, s.now);
        statement.BindInt64(3, s.maxFailures);
        return (int)Math.Min(int.MaxValue, statement.StepReturningInt64());
    }

    public unsafe ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Ignore(Pool.WriteAsync("circuit.record_success", (_ns, key, now: NowMs), &RecordSuccessBody, cancellationToken));
    }

    private static int RecordSuccessBody(SqliteConnection c, (KeyNamespace _ns, string key, long now) s)
    {
        const string op = "circuit.record_success";
        using var statement = c.Statement(SqliteCircuitSql.Success, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindInt64(2, s.now);
        return statement.Step();
    }

    /// <summary>Reads columns state, failure_count, last_failure_time, last_success_time from the current row.</summary>
    internal static CircuitBreakerPersistedState ReadState(SqliteStatement statement, string key, int first = 0)
    {
        var text = statement.ColumnBlob(first);
        if (!CircuitStates.TryParse(text, out var state))
        {
            throw PayloadErrors.UnknownCircuitState(Encoding.UTF8.GetString(text), key, statement.Operation, statement.DataSource);
        }

        return new CircuitBreakerPersistedState(
            state,
            (int)Math.Min(int.MaxValue, statement.ColumnInt64(first + 1)),
            statement.ReadNullableTime(first + 2, "go_goscope_circuit", key),
            statement.ReadNullableTime(first + 3, "go_goscope_circuit", key));
    }
}
