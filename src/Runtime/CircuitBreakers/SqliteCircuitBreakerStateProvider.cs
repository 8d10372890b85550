using System.Text;
using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>The SQLite circuit-breaker state: one row per breaker in <c>go_goscope_circuit</c>.</summary>
internal sealed partial class SqliteCircuitBreakerStateProvider : SqliteProvider, ICircuitBreakerStateProvider
{
    private readonly KeyNamespace _ns;

    public SqliteCircuitBreakerStateProvider(SqliteAdapter adapter)
        : base(adapter)
    {
        _ns = new KeyNamespace(Prefix, "circuit");
    }

    public ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.ReadAsync("circuit.get", (_ns, key), static (c, s) =>
        {
            const string op = "circuit.get";
            var statement = c.Statement(SqlId.CircuitGet, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                if (c.Check(Sqlite3.Step(statement), op) != SQLITE_ROW)
                {
                    return null;
                }

                return ReadState(c, statement, s.key, op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        CircuitStates.Validate(state);
        return Ignore(Pool.WriteAsync("circuit.set", (_ns, key, state, NowMs), static (c, s) =>
        {
            const string op = "circuit.set";
            var statement = c.Statement(SqlId.CircuitSet, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindText(statement, 2, CircuitStates.ToUtf8(s.state.State), op);
                c.BindInt64(statement, 3, s.state.FailureCount, op);
                c.BindInt64(statement, 4, CircuitStates.ToUnixMs(s.state.LastFailureTime), op);
                c.BindInt64(statement, 5, CircuitStates.ToUnixMs(s.state.LastSuccessTime), op);
                c.BindInt64(statement, 6, s.Item4, op);
                return c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken));
    }

    public ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        return Pool.WriteAsync("circuit.record_failure", (_ns, key, maxFailures, NowMs), static (c, s) =>
        {
            const string op = "circuit.record_failure";
            var statement = c.Statement(SqlId.CircuitFailure, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindInt64(statement, 2, s.Item4, op);
                c.BindInt64(statement, 3, s.maxFailures, op);
                return (int)Math.Min(int.MaxValue, c.StepReturningInt64(statement, op));
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Ignore(Pool.WriteAsync("circuit.record_success", (_ns, key, NowMs), static (c, s) =>
        {
            const string op = "circuit.record_success";
            var statement = c.Statement(SqlId.CircuitSuccess, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindInt64(statement, 2, s.Item3, op);
                return c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken));
    }

    /// <summary>Reads columns state, failure_count, last_failure_time, last_success_time from the current row.</summary>
    internal static CircuitBreakerPersistedState ReadState(SqliteConnection c, SQLitePCL.sqlite3_stmt statement, string key, string op, int first = 0)
    {
        var text = sqlite3_column_blob(statement, first);
        if (!CircuitStates.TryParse(text, out var state))
        {
            throw PayloadErrors.UnknownCircuitState(Encoding.UTF8.GetString(text), key, op, c.DataSource);
        }

        return new CircuitBreakerPersistedState(
            state,
            (int)Math.Min(int.MaxValue, Sqlite3.ColumnInt64(statement, first + 1)),
            c.ReadNullableTime(statement, first + 2, "go_goscope_circuit", key, op),
            c.ReadNullableTime(statement, first + 3, "go_goscope_circuit", key, op));
    }
}
