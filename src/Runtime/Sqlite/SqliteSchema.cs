using System.Globalization;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>The store's tables (docs/architecture.md, "Storage"), their creation in one transaction and the schema-version check.</summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this library writes; a file with a higher one is refused.</summary>
    public const int CurrentVersion = SchemaRules.CurrentVersion;


    public const string MetaTable = "go_goscope_meta";

    // The engine's own table: the schema version and what kinds keep for the whole database (the lock fencing counter).
    // Every time column of every kind holds Unix epoch milliseconds.
    private const string CreateMetaScript = """
        CREATE TABLE IF NOT EXISTS go_goscope_meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
        INSERT INTO go_goscope_meta(key, value) VALUES ('lock_fencing_counter', '0') ON CONFLICT(key) DO NOTHING;
        """;

    // A literal (every SQL text is one); a test checks that its version is CurrentVersion.
    internal const string RecordVersionScript =
        "INSERT INTO go_goscope_meta(key, value) VALUES ('schema_version', '6') ON CONFLICT(key) DO UPDATE SET value = excluded.value;";

    /// <summary>What a database holds of the schema: the library's tables present and the recorded version.</summary>
    public readonly record struct State(IReadOnlyList<string> MissingTables, int? Version)
    {
        public bool IsComplete => MissingTables.Count == 0 && Version == CurrentVersion;
    }

    /// <summary>Reads which of the kinds' <paramref name="tables"/> (and the meta table) exist and the schema version. Changes nothing.</summary>
    public static State Inspect(SqliteConnection connection, IReadOnlyList<SqliteTable> tables, string operation)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (var statement = connection.Statement(SqliteEngineSql.SchemaObjects, operation))
        {
            while (statement.StepRow())
            {
                present.Add(sqlite3_column_text(statement.Handle, 0).utf8_to_string());
            }
        }

        var missing = new List<string>();
        if (!present.Contains(MetaTable))
        {
            missing.Add(MetaTable);
        }

        foreach (var table in tables)
        {
            if (!present.Contains(table.Name))
            {
                missing.Add(table.Name);
            }

            foreach (var required in table.Requires)
            {
                if (!present.Contains(required))
                {
                    missing.Add(required);
                }
            }
        }

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
        using var statement = connection.Statement(SqliteEngineSql.MetaGet, operation);
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

    /// <summary>
    /// Creates whatever of the meta table and the kinds' <paramref name="tables"/> is missing, brings tables an older
    /// version created up to this one, and records the version: in one transaction. Returns whether it wrote.
    /// </summary>
    public static unsafe bool Create(SqliteConnection connection, IReadOnlyList<SqliteTable> tables)
    {
        const string operation = "schema.create";
        return connection.InTransaction(tables, &CreateInTransaction, operation);
    }

    private static bool CreateInTransaction(SqliteConnection c, IReadOnlyList<SqliteTable> tables)
    {
        const string operation = "schema.create";

        // Another connection may have created or upgraded the schema since we looked.
        var state = Inspect(c, tables, operation);
        Validate(state, createTables: true, c.DataSource);
        if (state.IsComplete)
        {
            return false;
        }

        // A table of an older version (or of the unversioned original, version 1) gains the columns added since.
        var from = state.Version ?? 1;
        c.ExecuteScript(CreateMetaScript, operation);
        foreach (var table in tables)
        {
            var existed = !state.MissingTables.Contains(table.Name);
            c.ExecuteScript(table.Create, operation);
            foreach (var (version, script) in table.Migrations)
            {
                if (existed && from < version)
                {
                    c.ExecuteScript(script, operation);
                }
            }
        }

        c.ExecuteScript(RecordVersionScript, operation);
        return true;
    }

    /// <summary>Takes the next fencing token of the database (one counter for every lease-holding kind), in the caller's transaction.</summary>
    public static long NextFencingToken(SqliteConnection c, string op)
    {
        using var statement = c.Statement(SqliteEngineSql.FencingNext, op);
        if (!statement.StepRow())
        {
            throw new PersistenceException(
                $"The database '{c.DataSource}' has no lock fencing counter in go_goscope_meta; it was not created by this library.",
                PersistenceErrorKind.Corrupt,
                op,
                c.DataSource);
        }

        return statement.ColumnInt64(0);
    }
}
