namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The idempotency records' SQL: their table <c>go_goscope_idempotency</c> (one row per key) and every statement on it.
/// Constants, with user strings only ever bound as parameters (see <see cref="PgSql"/> for the storage rules).
/// </summary>
internal static class PgIdempotencySql
{
    public const string Table = "go_goscope_idempotency";

    /// <summary>The idempotency records' piece of the schema: their table and expiry index.</summary>
    public static readonly PgTable Schema = new([Table], [], """
        CREATE TABLE IF NOT EXISTS go_goscope_idempotency (
          key bytea PRIMARY KEY,
          value text NOT NULL,
          expires_at bigint,
          created_at bigint,
          updated_at bigint
        );
        CREATE INDEX IF NOT EXISTS go_goscope_idempotency_expires ON go_goscope_idempotency(expires_at) WHERE expires_at IS NOT NULL;
        """);

    // $1 key, $2 now
    public const string Get = "SELECT value, expires_at FROM go_goscope_idempotency WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)";

    // $1 key, $2 value, $3 expires_at, $4 now
    public const string Set = """
        INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at
        """;

    // $1 key, $2 value, $3 expires_at, $4 now: stores only where no live record exists (the first stored result wins).
    public const string Add = """
        INSERT INTO go_goscope_idempotency AS i(key, value, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          updated_at = excluded.updated_at
        WHERE i.expires_at IS NOT NULL AND i.expires_at <= excluded.created_at
        """;

    public const string Delete = "DELETE FROM go_goscope_idempotency WHERE key = $1 RETURNING expires_at IS NULL OR expires_at > $2";

    // $1 lo, $2 hi, $3 now, $4 limit
    public const string Sweep = """
        DELETE FROM go_goscope_idempotency WHERE key IN (
          SELECT key FROM go_goscope_idempotency WHERE expires_at <= $3 AND key >= $1 AND key < $2 LIMIT $4)
        """;

    // Inspection, by namespace range: $1 lo, $2 hi, $3 now
    public const string AdminCounts = """
        SELECT count(*), count(*) FILTER (WHERE expires_at IS NOT NULL AND expires_at <= $3) FROM go_goscope_idempotency WHERE key >= $1 AND key < $2
        """;

    public const string AdminList = """
        SELECT key, expires_at, created_at, octet_length(value) FROM go_goscope_idempotency
        WHERE key >= $1 AND key < $2 AND (expires_at IS NULL OR expires_at > $3) ORDER BY key
        """;
}
