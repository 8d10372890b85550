namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The checkpoints' SQL: their table <c>go_goscope_checkpoints</c> (one row per checkpoint, keyed by id, found by task)
/// and every statement on it. Constants, with user strings only ever bound as parameters (see <see cref="PgSql"/> for
/// the storage rules).
/// </summary>
internal static class PgCheckpointSql
{
    public const string Table = "go_goscope_checkpoints";

    /// <summary>The checkpoints' piece of the schema: their table and its (task, sequence) index.</summary>
    public static readonly PgTable Schema = new([Table], [], """
        CREATE TABLE IF NOT EXISTS go_goscope_checkpoints (
          id bytea PRIMARY KEY,
          task_id bytea NOT NULL,
          sequence bigint NOT NULL,
          timestamp bigint NOT NULL,
          progress integer NOT NULL DEFAULT 0,
          data text NOT NULL,
          estimated_time_remaining bigint,
          created_at bigint
        );
        CREATE INDEX IF NOT EXISTS go_goscope_checkpoints_sequence ON go_goscope_checkpoints(task_id, sequence);
        """);

    // $1 id, $2 task_id, $3 sequence, $4 timestamp, $5 progress, $6 data, $7 eta (ms), $8 now
    public const string Save = """
        INSERT INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, progress, data, estimated_time_remaining, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, sequence = excluded.sequence, timestamp = excluded.timestamp,
          progress = excluded.progress, data = excluded.data, estimated_time_remaining = excluded.estimated_time_remaining
        """;

    // $1 task_id
    public const string Latest = """
        SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
        WHERE task_id = $1 ORDER BY sequence DESC, id DESC LIMIT 1
        """;

    // $1 id
    public const string Load = """
        SELECT task_id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints WHERE id = $1
        """;

    public const string List = """
        SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
        WHERE task_id = $1 ORDER BY sequence, id
        """;

    public const string ListInfo = """
        SELECT id, sequence, timestamp, progress, estimated_time_remaining FROM go_goscope_checkpoints
        WHERE task_id = $1 ORDER BY sequence, id
        """;

    // $1 task_id, $2 keep count
    public const string Cleanup = """
        DELETE FROM go_goscope_checkpoints WHERE task_id = $1 AND id NOT IN (
          SELECT id FROM go_goscope_checkpoints WHERE task_id = $1 ORDER BY sequence DESC, id DESC LIMIT $2)
        """;

    public const string DeleteAll = "DELETE FROM go_goscope_checkpoints WHERE task_id = $1";

    // Inspection, by namespace range: $1 lo, $2 hi
    public const string AdminCounts = "SELECT count(*), count(DISTINCT task_id) FROM go_goscope_checkpoints WHERE task_id >= $1 AND task_id < $2";

    public const string AdminTasks = """
        SELECT DISTINCT ON (task_id) task_id, count(*) OVER (PARTITION BY task_id), sequence, progress, estimated_time_remaining, timestamp
        FROM go_goscope_checkpoints WHERE task_id >= $1 AND task_id < $2 ORDER BY task_id, sequence DESC, id DESC
        """;
}
