using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The circuit-breaker state's SQL on SQLite: its statements and its table.</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteCircuitSql
{
    /// <summary>The table, what belongs to it, and the columns later schema versions added.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_circuit",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_circuit (
          key TEXT PRIMARY KEY,
          state TEXT NOT NULL,
          failure_count INTEGER NOT NULL DEFAULT 0,
          last_failure_time INTEGER,
          last_success_time INTEGER,
          updated_at INTEGER NOT NULL,
          fleet TEXT
        );
        """,
        // Version 4: the fleet circuit breaker's own state (a text only the library's rules read); existing rows have none.
        (4, """
        ALTER TABLE go_goscope_circuit ADD COLUMN fleet TEXT;
        """));

    // ?1 key
    public static readonly SqlStatement Get = new("SELECT state, failure_count, last_failure_time, last_success_time FROM go_goscope_circuit WHERE key = ?1"u8);

    // ?1 key, ?2 state, ?3 failure_count, ?4 last_failure_time, ?5 last_success_time, ?6 now: an explicit state
    // replaces the whole row, the fleet state too; but half-open does not end an isolation (CircuitFleetState.IsolatedPrefix).
    public static readonly SqlStatement Set = new("""
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, last_success_time, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT(key) DO UPDATE SET state = excluded.state, failure_count = excluded.failure_count,
          last_failure_time = excluded.last_failure_time, last_success_time = excluded.last_success_time,
          updated_at = excluded.updated_at, fleet = NULL
        WHERE NOT (excluded.state = 'half-open' AND substr(coalesce(go_goscope_circuit.fleet, ''), 1, 6) = 'f1;s=i')
        """u8);

    // ?1 key: the whole row, for an update (ICircuitStore), inside the writer's transaction.
    public static readonly SqlStatement Select = new("""
        SELECT state, failure_count, last_failure_time, last_success_time, fleet FROM go_goscope_circuit WHERE key = ?1
        """u8);

    // ?1 key, ?2 state, ?3 failure_count, ?4 last_failure_time, ?5 last_success_time, ?6 fleet, ?7 now
    public static readonly SqlStatement Upsert = new("""
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, last_success_time, fleet, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT(key) DO UPDATE SET state = excluded.state, failure_count = excluded.failure_count,
          last_failure_time = excluded.last_failure_time, last_success_time = excluded.last_success_time,
          fleet = excluded.fleet, updated_at = excluded.updated_at
        """u8);

    // ?1 key, ?2 now, ?3 max failures: one statement, so concurrent failures from any process add exactly one each.
    // The fleet state is kept (as RecordSuccess keeps it).
    public static readonly SqlStatement Failure = new("""
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, updated_at)
        VALUES (?1, CASE WHEN ?3 <= 1 THEN 'open' ELSE 'closed' END, 1, ?2, ?2)
        ON CONFLICT(key) DO UPDATE SET
          failure_count = go_goscope_circuit.failure_count + 1,
          state = CASE WHEN go_goscope_circuit.failure_count + 1 >= ?3 THEN 'open' ELSE go_goscope_circuit.state END,
          last_failure_time = excluded.last_failure_time,
          updated_at = excluded.updated_at
        RETURNING failure_count
        """u8);

    // ?1 key, ?2 now: keeps last_failure_time; an isolated circuit stays as it is (CircuitFleetState.IsolatedPrefix).
    public static readonly SqlStatement Success = new("""
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_success_time, updated_at) VALUES (?1, 'closed', 0, ?2, ?2)
        ON CONFLICT(key) DO UPDATE SET state = 'closed', failure_count = 0,
          last_success_time = excluded.last_success_time, updated_at = excluded.updated_at
        WHERE substr(coalesce(go_goscope_circuit.fleet, ''), 1, 6) <> 'f1;s=i'
        """u8);

    public static readonly SqlStatement AdminList = new("""
        SELECT key, state, failure_count, last_failure_time, last_success_time, updated_at, fleet FROM go_goscope_circuit
        WHERE key >= ?1 AND key < ?2
        """u8);
}
