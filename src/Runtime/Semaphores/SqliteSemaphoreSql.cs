using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The semaphores' SQL on SQLite: its statements and its table (a row per live permit; tokens from the engine's fencing counter).</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteSemaphoreSql
{
    /// <summary>The table: one row per permit, the limit it was granted with, its expiry, token and holder.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_semaphores",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_semaphores (
          key TEXT NOT NULL,
          owner TEXT NOT NULL,
          permits INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          fencing_token INTEGER NOT NULL,
          holder_host TEXT,
          holder_pid INTEGER,
          holder_start INTEGER,
          PRIMARY KEY (key, owner)
        );
        CREATE INDEX IF NOT EXISTS idx_semaphores_expires ON go_goscope_semaphores(expires_at);
        """);

    // ?1 key: every permit row of the key, expired or not (the grant drops the expired and the dead).
    public static readonly SqlStatement Select = new("""
        SELECT owner, expires_at, fencing_token, permits, holder_host, holder_pid, holder_start FROM go_goscope_semaphores WHERE key = ?1
        """u8);

    // ?1 key, ?2 owner
    public static readonly SqlStatement Delete = new("DELETE FROM go_goscope_semaphores WHERE key = ?1 AND owner = ?2"u8);

    // ?1 key, ?2 owner, ?3 permits, ?4 expires_at, ?5 fencing_token, ?6 holder_host, ?7 holder_pid, ?8 holder_start
    public static readonly SqlStatement Upsert = new("""
        INSERT INTO go_goscope_semaphores(key, owner, permits, expires_at, fencing_token, holder_host, holder_pid, holder_start)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT(key, owner) DO UPDATE SET permits = excluded.permits, expires_at = excluded.expires_at,
          fencing_token = excluded.fencing_token, holder_host = excluded.holder_host, holder_pid = excluded.holder_pid,
          holder_start = excluded.holder_start
        """u8);

    // ?1 key, ?2 owner, ?3 now, ?4 new expires_at, ?5 token (0: any): an expired permit is never revived.
    public static readonly SqlStatement Extend = new("""
        UPDATE go_goscope_semaphores SET expires_at = ?4 WHERE key = ?1 AND owner = ?2 AND expires_at > ?3 AND (?5 = 0 OR fencing_token = ?5)
        """u8);

    // ?1 key, ?2 owner, ?3 expires_at (0: any), ?4 token (0: any)
    public static readonly SqlStatement Release = new("""
        DELETE FROM go_goscope_semaphores WHERE key = ?1 AND owner = ?2 AND (?3 = 0 OR expires_at = ?3) AND (?4 = 0 OR fencing_token = ?4)
        """u8);

    // ?1 key, ?2 owner, ?3 now
    public static readonly SqlStatement HeldUntil = new("""
        SELECT expires_at, fencing_token FROM go_goscope_semaphores WHERE key = ?1 AND owner = ?2 AND expires_at > ?3
        """u8);

    // ?1 key, ?2 now: the live permits, oldest token first.
    public static readonly SqlStatement Info = new("""
        SELECT owner, expires_at, fencing_token, permits, holder_host, holder_pid, holder_start FROM go_goscope_semaphores
        WHERE key = ?1 AND expires_at > ?2 ORDER BY fencing_token
        """u8);

    public static readonly SqlStatement ForceRelease = new("DELETE FROM go_goscope_semaphores WHERE key = ?1"u8);

    // ?1 lo, ?2 hi, ?3 now
    public static readonly SqlStatement Sweep = new("DELETE FROM go_goscope_semaphores WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2"u8);

    // Inspection by namespace range: ?1 lo, ?2 hi, ?3 now
    public static readonly SqlStatement AdminCounts = new("""
        SELECT count(*), coalesce(sum(expires_at <= ?3), 0) FROM go_goscope_semaphores WHERE key >= ?1 AND key < ?2
        """u8);

    public static readonly SqlStatement AdminList = new("""
        SELECT key, owner, expires_at, fencing_token, permits, holder_host, holder_pid, holder_start FROM go_goscope_semaphores
        WHERE key >= ?1 AND key < ?2 AND expires_at > ?3 ORDER BY key, fencing_token
        """u8);
}
