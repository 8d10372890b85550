using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The rate limits' SQL on SQLite: its statements and its table (one row per key: the algorithm's state text).</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteRateLimitSql
{
    /// <summary>The table: one row per key, its state, when it was written and when it is worth no more than none.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_ratelimits",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_ratelimits (
          key TEXT PRIMARY KEY,
          state TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_ratelimits_expires ON go_goscope_ratelimits(expires_at);
        """);

    // ?1 key, ?2 now: the live state.
    public static readonly SqlStatement Select = new("SELECT state FROM go_goscope_ratelimits WHERE key = ?1 AND expires_at > ?2"u8);

    // ?1 key, ?2 state, ?3 updated_at, ?4 expires_at
    public static readonly SqlStatement Upsert = new("""
        INSERT INTO go_goscope_ratelimits(key, state, updated_at, expires_at) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT(key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, expires_at = excluded.expires_at
        """u8);

    // ?1 key
    public static readonly SqlStatement Reset = new("DELETE FROM go_goscope_ratelimits WHERE key = ?1"u8);

    // ?1 lo, ?2 hi, ?3 now
    public static readonly SqlStatement Sweep = new("DELETE FROM go_goscope_ratelimits WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2"u8);

    // Inspection by namespace range: ?1 lo, ?2 hi, ?3 now
    public static readonly SqlStatement AdminCounts = new("""
        SELECT count(*), coalesce(sum(expires_at <= ?3), 0) FROM go_goscope_ratelimits WHERE key >= ?1 AND key < ?2
        """u8);
}
