using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The checkpoints' SQL on SQLite: its statements and its table.</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteCheckpointSql
{
    /// <summary>The table, what belongs to it, and the columns later schema versions added.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_checkpoints",
        """
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
        """);

    // ?1 id, ?2 task_id, ?3 sequence, ?4 timestamp, ?5 progress, ?6 data, ?7 eta (ms), ?8 now
    public static readonly SqlStatement Save = new("""
        INSERT INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, progress, data, estimated_time_remaining, created_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT(id) DO UPDATE SET task_id = excluded.task_id, sequence = excluded.sequence, timestamp = excluded.timestamp,
          progress = excluded.progress, data = excluded.data, estimated_time_remaining = excluded.estimated_time_remaining
        """u8);

    // ?1 task_id
    public static readonly SqlStatement Latest = new("""
        SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
        WHERE task_id = ?1 ORDER BY sequence DESC, id DESC LIMIT 1
        """u8);

    // ?1 id
    public static readonly SqlStatement Load = new("""
        SELECT task_id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints WHERE id = ?1
        """u8);

    public static readonly SqlStatement List = new("""
        SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
        WHERE task_id = ?1 ORDER BY sequence, id
        """u8);

    public static readonly SqlStatement ListInfo = new("""
        SELECT id, sequence, timestamp, progress, estimated_time_remaining FROM go_goscope_checkpoints
        WHERE task_id = ?1 ORDER BY sequence, id
        """u8);

    // ?1 task_id, ?2 keep count
    public static readonly SqlStatement Cleanup = new("""
        DELETE FROM go_goscope_checkpoints WHERE task_id = ?1 AND id NOT IN (
          SELECT id FROM go_goscope_checkpoints WHERE task_id = ?1 ORDER BY sequence DESC, id DESC LIMIT ?2)
        """u8);

    public static readonly SqlStatement DeleteAll = new("DELETE FROM go_goscope_checkpoints WHERE task_id = ?1"u8);

    public static readonly SqlStatement AdminCounts = new("SELECT count(*), count(DISTINCT task_id) FROM go_goscope_checkpoints WHERE task_id >= ?1 AND task_id < ?2"u8);

    // SQLite takes the bare columns of an aggregate query with max() from the row that holds the maximum.
    public static readonly SqlStatement AdminList = new("""
        SELECT task_id, count(*), max(sequence), progress, estimated_time_remaining, timestamp FROM go_goscope_checkpoints
        WHERE task_id >= ?1 AND task_id < ?2 GROUP BY task_id
        """u8);
}
