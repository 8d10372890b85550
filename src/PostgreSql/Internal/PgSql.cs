namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The engine's own SQL: the meta table, the fencing sequence, the schema version, the server checks and the schema lock; each kind's
/// statements live in its folder (<c>Pg&lt;Kind&gt;Sql</c>). The rules every statement follows: constants, with user
/// strings only ever bound as parameters. Keys, owners and ids are <c>bytea</c> (their UTF-8 bytes), so they compare
/// byte by byte like SQLite's BINARY collation, may hold U+0000, and one adapter's namespace is the half-open range
/// <c>key &gt;= $lo AND key &lt; $hi</c>. Times are Unix milliseconds decided by the adapter's <see cref="TimeProvider"/>,
/// never the server's clock.
/// </summary>
internal static class PgSql
{
    /// <summary>The engine's table: the schema version (and nothing of any kind).</summary>
    public const string MetaTable = "go_goscope_meta";

    /// <summary>
    /// The engine's fencing-token sequence, shared by every kind that grants leases (locks and semaphore permits), so a
    /// token is unique and rising across all of them. Its name predates the sharing; existing databases have it.
    /// </summary>
    public const string FencingSequence = "go_goscope_lock_fencing";

    public const string SchemaVersion = "SELECT value FROM go_goscope_meta WHERE key = 'schema_version'";

    public const string ServerEncoding = "SELECT current_setting('server_encoding')";

    // One creator at a time per database: concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique index.
    public const string SchemaLock = "SELECT pg_advisory_xact_lock(7453010373645631343)";

    // The first statement of the create script; the kinds' pieces follow, then SetSchemaVersion.
    public const string CreateMeta = """
        CREATE TABLE IF NOT EXISTS go_goscope_meta (
          key text PRIMARY KEY,
          value text NOT NULL
        );
        """;

    // The second statement of the create script: the engine's fencing sequence, before any kind's piece (see FencingSequence).
    public const string CreateFencingSequence = "CREATE SEQUENCE IF NOT EXISTS go_goscope_lock_fencing;";

    // The last statement of the create script, once every kind's piece has run.
    // A literal (every SQL text is one); the migration tests check the version it records is SchemaRules.CurrentVersion.
    public const string SetSchemaVersion = """
        INSERT INTO go_goscope_meta(key, value) VALUES ('schema_version', '6') ON CONFLICT (key) DO UPDATE SET value = excluded.value;
        """;

    /// <summary>
    /// Which of <paramref name="objects"/> exist, resolved through search_path exactly as the unqualified statements
    /// are. The names are the kinds' constants (checked by <see cref="PgSchema"/>), never user input, so they are
    /// written into the text: the slim data source has no array parameters.
    /// </summary>
    public static string SchemaObjects(IEnumerable<string> objects) =>
        $"SELECT t FROM unnest(ARRAY[{Literals(objects)}]) AS t WHERE to_regclass(t) IS NOT NULL";

    /// <summary>The size on disk of <paramref name="tables"/> (with their indexes and TOAST), for the admin statistics.</summary>
    public static string AdminSize(IEnumerable<string> tables) =>
        $"SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0)::bigint FROM unnest(ARRAY[{Literals(tables)}]) AS t";

    /// <summary>
    /// A plain <c>VACUUM</c> of <paramref name="tables"/> (the kinds' constants, as in <see cref="AdminSize"/>), one
    /// statement: <c>VACUUM</c> cannot run inside a transaction, nor in a batch of several statements.
    /// </summary>
    public static string Vacuum(IEnumerable<string> tables) => "VACUUM " + string.Join(", ", tables);

    private static string Literals(IEnumerable<string> names) => string.Join(", ", names.Select(static n => "'" + n + "'"));
}
