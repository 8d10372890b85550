using System.Globalization;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>The store's tables (docs/architecture.md, "Storage"), their creation in one transaction and the schema-version check.</summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this library writes; a file with a higher one is refused.</summary>
    public const int CurrentVersion = SchemaRules.CurrentVersion;

    private const string CurrentVersionText = "3";

    public const string MetaTable = "go_goscope_meta";

    /// <summary>Every table the library needs, in creation order.</summary>
    public static readonly string[] Tables =
    [
        MetaTable,
        "go_goscope_cache",
        "go_goscope_circuit",
        "go_goscope_checkpoints",
        "go_goscope_idempotency",
        "go_goscope_locks",
    ];

    // Every time column holds Unix epoch milliseconds.
    private const string CreateScript = """
        CREATE TABLE IF NOT EXISTS go_goscope_meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS go_goscope_cache (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          expires_at INTEGER,
          created_at INTEGER,
          sliding_ms INTEGER,
          absolute_expires_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_cache_expires ON go_goscope_cache(expires_at);
        CREATE TABLE IF NOT EXISTS go_goscope_circuit (
          key TEXT PRIMARY KEY,
          state TEXT NOT NULL,
          failure_count INTEGER NOT NULL DEFAULT 0,
          last_failure_time INTEGER,
          last_success_time INTEGER,
          updated_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS go_goscope_checkpoints (
          id TEXT PRIMARY KEY,
          task_id TEXT NOT NULL,
          sequence INTEGER NOT NULL,
          timestamp INTEGER NOT NULL,
          progress INTEGER NOT NULL DEFAULT 0,
          data TEXT NOT NULL,
          estimated_time_remaining INTEGER,
          created_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_checkpoints_task ON go_goscope_checkpoints(task_id);
        CREATE INDEX IF NOT EXISTS idx_checkpoints_sequence ON go_goscope_checkpoints(task_id, sequence);
        CREATE TABLE IF NOT EXISTS go_goscope_idempotency (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          expires_at INTEGER,
          created_at INTEGER,
          updated_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_idempotency_expires ON go_goscope_idempotency(expires_at) WHERE expires_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS go_goscope_locks (
          key TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          fencing_token INTEGER NOT NULL,
          holder_host TEXT,
          holder_pid INTEGER,
          holder_start INTEGER
        );
        INSERT INTO go_goscope_meta(key, value) VALUES ('lock_fencing_counter', '0') ON CONFLICT(key) DO NOTHING;
        """;

    /// <summary>Version 1 → 2: sliding expiry for cache entries (two nullable columns; existing rows keep their expiry).</summary>
    private const string MigrateFrom1Script = """
        ALTER TABLE go_goscope_cache ADD COLUMN sliding_ms INTEGER;
        ALTER TABLE go_goscope_cache ADD COLUMN absolute_expires_at INTEGER;
        """;

    /// <summary>
    /// Version 2 → 3: who holds each lock (host identity, process id and start time), so a holder that died on the same
    /// host is taken over at once. Existing rows have no holder and are judged by their TTL.
    /// </summary>
    private const string MigrateFrom2Script = """
        ALTER TABLE go_goscope_locks ADD COLUMN holder_host TEXT;
        ALTER TABLE go_goscope_locks ADD COLUMN holder_pid INTEGER;
        ALTER TABLE go_goscope_locks ADD COLUMN holder_start INTEGER;
        """;

    private const string RecordVersionScript =
        "INSERT INTO go_goscope_meta(key, value) VALUES ('schema_version', '" + CurrentVersionText + "') " +
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value;";

    /// <summary>What a database holds of the schema: the library's tables present and the recorded version.</summary>
    public readonly record struct State(IReadOnlyList<string> MissingTables, int? Version)
    {
        public bool IsComplete => MissingTables.Count == 0 && Version == CurrentVersion;
    }

    /// <summary>Reads which tables exist and the schema version. Changes nothing.</summary>
    public static State Inspect(SqliteConnection connection, string operation)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (var statement = connection.Statement(SqlId.SchemaObjects, operation))
        {
            while (statement.StepRow())
            {
                present.Add(sqlite3_column_text(statement.Handle, 0).utf8_to_string());
            }
        }

        var missing = Tables.Where(t => !present.Contains(t)).ToArray();
        int? version = null;
        if (present.Contains(MetaTable))
        {
            var text = ReadMeta(connection, "schema_version"u8, operation);
            if (text is not null)
            {
                version = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw new PersistenceException(
                        $"The database '{connection.DataSource}' records schema version '{text}', which is not a number; it was not written by this library.",
                        PersistenceErrorKind.Corrupt,
                        operation,
                        connection.DataSource);
            }
        }

        return new State(missing, version);
    }

    public static string? ReadMeta(SqliteConnection connection, ReadOnlySpan<byte> key, string operation)
    {
        using var statement = connection.Statement(SqlId.MetaGet, operation);
        statement.BindText(1, key);
        return statement.StepRow()
            ? sqlite3_column_text(statement.Handle, 0).utf8_to_string()
            : null;
    }

    /// <summary>Refuses a schema this library cannot use; names what is missing when creation is off.</summary>
    public static void Validate(State state, bool createTables, string dataSource) =>
        SchemaRules.Validate(
            state.Version, state.MissingTables, createTables, $"The database '{dataSource}'", "tables",
            "Connect once with CreateTables = true (the default) to create them.", dataSource);

    /// <summary>Refuses, for a read-only open, a schema that would need creating or migrating (or is too new).</summary>
    public static void ValidateReadOnly(State state, string dataSource) =>
        SchemaRules.Validate(
            state.Version, state.MissingTables, createTables: false, $"The database '{dataSource}'", "tables",
            "Open it once for writing to create or migrate it.", dataSource, "it was opened read-only");

    /// <summary>Creates whatever is missing and records the version, in one transaction. Returns whether it wrote.</summary>
    public static bool Create(SqliteConnection connection)
    {
        const string operation = "schema.create";
        return connection.InTransaction(0, static (c, _) =>
        {
            // Another connection may have created or upgraded the schema since we looked.
            var state = Inspect(c, operation);
            Validate(state, createTables: true, c.DataSource);
            if (state.IsComplete)
            {
                return false;
            }

            // Tables of an older version (or of the unversioned original) gain the columns added since.
            var cacheExisted = !state.MissingTables.Contains("go_goscope_cache");
            var locksExisted = !state.MissingTables.Contains("go_goscope_locks");
            c.ExecuteScript(CreateScript, operation);
            if (cacheExisted && (state.Version ?? 1) < 2)
            {
                c.ExecuteScript(MigrateFrom1Script, operation);
            }

            if (locksExisted && (state.Version ?? 1) < 3)
            {
                c.ExecuteScript(MigrateFrom2Script, operation);
            }

            c.ExecuteScript(RecordVersionScript, operation);
            return true;
        }, operation);
    }
}
