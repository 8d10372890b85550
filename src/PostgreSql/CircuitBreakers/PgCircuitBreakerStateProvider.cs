using Npgsql;
using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>
/// The PostgreSQL circuit-breaker state: one row per breaker in <c>go_goscope_circuit</c>. A fleet breaker's update
/// (<see cref="ICircuitStore"/>) holds the key's row (<c>INSERT … ON CONFLICT DO NOTHING</c> for a key that has none,
/// else <c>SELECT … FOR UPDATE</c>), decides and writes in one transaction, so the updates of a key on every machine
/// run one at a time. The clock is read once the row is held; it is the updater's (keep clocks in sync).
/// </summary>
internal sealed partial class PgCircuitBreakerStateProvider : PgProvider, ICircuitBreakerStateProvider, ICircuitStore
{
    private readonly KeyNamespace _ns;

    public PgCircuitBreakerStateProvider(PgContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "circuit");
    }

    TimeProvider ICircuitStore.Time => Time;

    public async ValueTask UpdateAsync(string key, CircuitRule rule, CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(rule);
        var db = Db;
        await db.RunAsync("circuit.update", PgWork.Transaction, (_ns, key, rule, Time, db.DataSource), static async (c, s, ct) =>
        {
            const string op = "circuit.update";
            CircuitRow? stored;
            bool claimed;
            while (true)
            {
                await using (var claim = c.Command(PgCircuitBreakerSql.Claim).Key(s._ns, s.key))
                {
                    claimed = await claim.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
                }

                if (claimed)
                {
                    stored = null;
                    break;
                }

                // The key has a committed row: hold it. (Gone again by now only if something deleted it meanwhile: claim again.)
                if (await LockAsync(c, s._ns, s.key, op, s.DataSource, ct).ConfigureAwait(false) is { } row)
                {
                    stored = row;
                    break;
                }
            }

            // Read now, with the row held: whatever the wait for it, the decision is made at this time.
            var now = Ttl.NowMs(s.Time);
            if (s.rule.Apply(stored, now) is { } next)
            {
                await using var write = c.Command(PgCircuitBreakerSql.Write)
                    .Key(s._ns, s.key)
                    .Text(CircuitStates.ToText(next.State))
                    .Int64((long)next.FailureCount)
                    .Int64(next.LastFailureMs)
                    .Int64(next.LastSuccessMs)
                    .NullableText(next.Fleet)
                    .Int64(now);
                return await write.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (claimed)
            {
                // Nothing to store for a key that had no row: it has none again when this transaction ends.
                await using var unclaim = c.Command(PgCircuitBreakerSql.Unclaim).Key(s._ns, s.key);
                return await unclaim.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Locks and reads the key's whole row, or returns <see langword="null"/> when it has none.</summary>
    private static async ValueTask<CircuitRow?> LockAsync(NpgsqlConnection c, KeyNamespace ns, string key, string op, string dataSource, CancellationToken ct)
    {
        await using var select = c.Command(PgCircuitBreakerSql.Lock).Key(ns, key);
        var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var state = ReadState(reader, key, op, dataSource);
            return new CircuitRow
            {
                State = state.State,
                FailureCount = state.FailureCount,
                LastFailureMs = CircuitStates.ToUnixMs(state.LastFailureTime),
                LastSuccessMs = CircuitStates.ToUnixMs(state.LastSuccessTime),
                Fleet = reader.ReadNullableText(4),
            };
        }
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
