using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The idempotency records' SQL on SQLite: its statements and its table.</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteIdempotencySql
{
    /// <summary>The table, what belongs to it, and the columns later schema versions added.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_idempotency",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_idempotency (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          expires_at INTEGER,
          created_at INTEGER,
          updated_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_idempotency_expires ON go_goscope_idempotency(expires_at) WHERE expires_at IS NOT NULL;
        """);

    // ?1 key, ?2 now
    public static readonly SqlStatement Get = new("SELECT value, expires_at FROM go_goscope_idempotency WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)"u8);

    // ?1 key, ?2 value, ?3 expires_at, ?4 now
    public static readonly SqlStatement Set = new("""
        INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at
        """u8);

    // ?1 key, ?2 value, ?3 expires_at, ?4 now: stores only where no live record exists (the first stored result wins).
    public static readonly SqlStatement Add = new("""
        INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          updated_at = excluded.updated_at
        WHERE go_goscope_idempotency.expires_at IS NOT NULL AND go_goscope_idempotency.expires_at <= excluded.created_at
        """u8);

    public static readonly SqlStatement Delete = new("DELETE FROM go_goscope_idempotency WHERE key = ?1 RETURNING expires_at IS NULL OR expires_at > ?2"u8);

    // ?1 lo, ?2 hi, ?3 now, ?4 limit
    public static readonly SqlStatement Sweep = new("""
        DELETE FROM go_goscope_idempotency WHERE rowid IN (
          SELECT rowid FROM go_goscope_idempotency INDEXED BY idx_idempotency_expires
          WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2 LIMIT ?4)
        """u8);

    public static readonly SqlStatement AdminCounts = new("""
        SELECT count(*), coalesce(sum(expires_at IS NOT NULL AND expires_at <= ?3), 0) FROM go_goscope_idempotency WHERE key >= ?1 AND key < ?2
        """u8);

    public static readonly SqlStatement AdminList = new("""
        SELECT key, expires_at, created_at, length(CAST(value AS BLOB)) FROM go_goscope_idempotency
        WHERE key >= ?1 AND key < ?2 AND (expires_at IS NULL OR expires_at > ?3)
        """u8);
}
