using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The locks' SQL on SQLite: its statements and its table (the fencing counter is the engine's: SqliteSchema.NextFencingToken).</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteLockSql
{
    /// <summary>The table, what belongs to it, and the columns later schema versions added.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_locks",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_locks (
          key TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          fencing_token INTEGER NOT NULL,
          holder_host TEXT,
          holder_pid INTEGER,
          holder_start INTEGER
        );
        """,
        // Version 3: who holds each lock (host identity, process id and start time), so a holder that died on the same host is taken over at once; existing rows have no holder and are judged by their TTL.
        (3, """
        ALTER TABLE go_goscope_locks ADD COLUMN holder_host TEXT;
        ALTER TABLE go_goscope_locks ADD COLUMN holder_pid INTEGER;
        ALTER TABLE go_goscope_locks ADD COLUMN holder_start INTEGER;
        """));

    // ?1 key
    public static readonly SqlStatement Select = new("SELECT owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = ?1"u8);

    // ?1 key, ?2 owner, ?3 expires_at, ?4 fencing_token, ?5 holder_host, ?6 holder_pid, ?7 holder_start
    public static readonly SqlStatement Upsert = new("""
        INSERT INTO go_goscope_locks(key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, fencing_token = excluded.fencing_token,
          holder_host = excluded.holder_host, holder_pid = excluded.holder_pid, holder_start = excluded.holder_start
        """u8);

    // ?1 key, ?2 owner, ?3 now, ?4 new expires_at: a lock that already expired is never revived.
    public static readonly SqlStatement Extend = new("UPDATE go_goscope_locks SET expires_at = ?4 WHERE key = ?1 AND owner = ?2 AND expires_at > ?3 AND (?5 = 0 OR fencing_token = ?5)"u8);

    public static readonly SqlStatement Release = new("DELETE FROM go_goscope_locks WHERE key = ?1 AND owner = ?2 AND (?3 = 0 OR expires_at = ?3) AND (?4 = 0 OR fencing_token = ?4)"u8);

    public static readonly SqlStatement ForceRelease = new("DELETE FROM go_goscope_locks WHERE key = ?1"u8);

    // ?1 key, ?2 now
    public static readonly SqlStatement Info = new("SELECT owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = ?1 AND expires_at > ?2"u8);

    // ?1 lo, ?2 hi, ?3 now
    public static readonly SqlStatement Sweep = new("DELETE FROM go_goscope_locks WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2"u8);

    public static readonly SqlStatement AdminCounts = new("SELECT count(*), coalesce(sum(expires_at <= ?3), 0) FROM go_goscope_locks WHERE key >= ?1 AND key < ?2"u8);

    public static readonly SqlStatement AdminList = new("""
        SELECT key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks
        WHERE key >= ?1 AND key < ?2 AND expires_at > ?3
        """u8);
}
