namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The circuit-breaker state's SQL: its table <c>go_goscope_circuit</c> (one row per breaker) and every statement on
/// it. Constants, with user strings only ever bound as parameters (see <see cref="PgSql"/> for the storage rules).
/// </summary>
internal static class PgCircuitBreakerSql
{
    public const string Table = "go_goscope_circuit";

    /// <summary>The circuit breakers' piece of the schema: their table and the version 3 to 4 migration.</summary>
    public static readonly PgTable Schema = new([Table], [], """
        CREATE TABLE IF NOT EXISTS go_goscope_circuit (
          key bytea PRIMARY KEY,
          state text NOT NULL,
          failure_count bigint NOT NULL DEFAULT 0,
          last_failure_time bigint,
          last_success_time bigint,
          updated_at bigint NOT NULL,
          fleet text
        );
        -- Version 3 -> 4: the fleet circuit breaker's own state (a text only the library's rules read); existing rows have none.
        ALTER TABLE go_goscope_circuit ADD COLUMN IF NOT EXISTS fleet text;
        """);

    // $1 key
    public const string Get = "SELECT state, failure_count, last_failure_time, last_success_time FROM go_goscope_circuit WHERE key = $1";

    // $1 key, $2 state, $3 failure_count, $4 last_failure_time, $5 last_success_time, $6 now: an explicit state
    // replaces the whole row, the fleet state too; but half-open does not end an isolation (as on SQLite).
    public const string Set = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, last_success_time, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (key) DO UPDATE SET state = excluded.state, failure_count = excluded.failure_count,
          last_failure_time = excluded.last_failure_time, last_success_time = excluded.last_success_time,
          updated_at = excluded.updated_at, fleet = NULL
        WHERE NOT (excluded.state = 'half-open' AND substr(coalesce(go_goscope_circuit.fleet, ''), 1, 6) = 'f1;s=i')
        """;

    // An update (ICircuitStore), in one transaction: Claim, then (when the key had a row) Lock, then Write, or
    // Unclaim when the rule stores nothing for a key that had no row.
    // $1 key: inserts a placeholder row for a key that has none, so there is a row to hold; a row inserted by
    // a concurrent update (or RecordFailure) makes this one wait for that transaction, then do nothing. One row
    // affected: the key had no row, and the placeholder is this transaction's, held until it ends.
    public const string Claim = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, updated_at) VALUES ($1, 'closed', 0, 0) ON CONFLICT (key) DO NOTHING
        """;

    // $1 key: the row, locked until this transaction ends (every update of the key, and every RecordFailure and
    // RecordSuccess, waits for it).
    public const string Lock = "SELECT state, failure_count, last_failure_time, last_success_time, fleet FROM go_goscope_circuit WHERE key = $1 FOR UPDATE";

    // $1 key, $2 state, $3 failure_count, $4 last_failure_time, $5 last_success_time, $6 fleet, $7 now
    public const string Write = """
        UPDATE go_goscope_circuit SET state = $2, failure_count = $3, last_failure_time = $4, last_success_time = $5, fleet = $6, updated_at = $7
        WHERE key = $1
        """;

    // $1 key: removes this transaction's placeholder (Claim) when the rule stored nothing.
    public const string Unclaim = "DELETE FROM go_goscope_circuit WHERE key = $1";

    // $1 key, $2 now, $3 max failures: one statement, so concurrent failures from any machine add exactly one each.
    // The fleet state is kept (as Success keeps it).
    public const string Failure = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, updated_at)
        VALUES ($1, CASE WHEN $3 <= 1 THEN 'open' ELSE 'closed' END, 1, $2, $2)
        ON CONFLICT (key) DO UPDATE SET
          failure_count = go_goscope_circuit.failure_count + 1,
          state = CASE WHEN go_goscope_circuit.failure_count + 1 >= $3 THEN 'open' ELSE go_goscope_circuit.state END,
          last_failure_time = excluded.last_failure_time,
          updated_at = excluded.updated_at
        RETURNING failure_count
        """;

    // $1 key, $2 now: keeps last_failure_time; an isolated circuit stays as it is (as on SQLite).
    public const string Success = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_success_time, updated_at) VALUES ($1, 'closed', 0, $2, $2)
        ON CONFLICT (key) DO UPDATE SET state = 'closed', failure_count = 0,
          last_success_time = excluded.last_success_time, updated_at = excluded.updated_at
        WHERE substr(coalesce(go_goscope_circuit.fleet, ''), 1, 6) <> 'f1;s=i'
        """;

    // Inspection, by namespace range: $1 lo, $2 hi
    public const string AdminList = """
        SELECT key, state, failure_count, last_failure_time, last_success_time, updated_at, fleet FROM go_goscope_circuit
        WHERE key >= $1 AND key < $2 ORDER BY key
        """;
}
