using Npgsql;
using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>The PostgreSQL circuit-breaker state: one row per breaker in <c>go_goscope_circuit</c>.</summary>
internal sealed partial class PgCircuitBreakerStateProvider : PgProvider, ICircuitBreakerStateProvider
{
    private readonly KeyNamespace _ns;

    public PgCircuitBreakerStateProvider(PgContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "circuit");
    }

    public ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var db = Db;
        return db.RunAsync("circuit.get", PgWork.Read, (_ns, key, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCircuitBreakerSql.Get).Key(s._ns, s.key);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadState(reader, s.key, "circuit.get", s.DataSource) : null;
            }
        }, cancellationToken);
    }

    public async ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        CircuitStates.Validate(state);
        await Db.RunAsync("circuit.set", PgWork.Idempotent, (_ns, key, state, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCircuitBreakerSql.Set)
                .Key(s._ns, s.key)
                .Text(CircuitStates.ToText(s.state.State))
                .Int64((long)s.state.FailureCount)
                .Int64(CircuitStates.ToUnixMs(s.state.LastFailureTime))
                .Int64(CircuitStates.ToUnixMs(s.state.LastSuccessTime))
                .Int64(s.NowMs);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);

        // Counting twice would be wrong: BEGIN…COMMIT, so only a failure of the COMMIT itself is left unretried.
        return Db.RunAsync("circuit.record_failure", PgWork.Transaction, (_ns, key, maxFailures, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCircuitBreakerSql.Failure).Key(s._ns, s.key).Int64(s.NowMs).Int64((long)s.maxFailures);
            var count = (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            return (int)Math.Min(int.MaxValue, count);
        }, cancellationToken);
    }

    public async ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        await Db.RunAsync("circuit.record_success", PgWork.Idempotent, (_ns, key, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCircuitBreakerSql.Success).Key(s._ns, s.key).Int64(s.NowMs);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads columns state, failure_count, last_failure_time, last_success_time from the current row.</summary>
    internal static CircuitBreakerPersistedState ReadState(NpgsqlDataReader reader, string key, string op, string dataSource, int first = 0)
    {
        var text = reader.GetString(first);
        if (!CircuitStates.TryParse(text, out var state))
        {
            throw PayloadErrors.UnknownCircuitState(text, key, op, dataSource);
        }

        return new CircuitBreakerPersistedState(
            state,
            (int)Math.Min(int.MaxValue, reader.GetInt64(first + 1)),
            reader.ReadNullableTime(first + 2, "go_goscope_circuit", key, op, dataSource),
            reader.ReadNullableTime(first + 3, "go_goscope_circuit", key, op, dataSource));
    }
}
