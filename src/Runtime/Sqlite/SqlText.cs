namespace NativeAotPersistence.Sqlite;

/// <summary>
/// Every SQL text the SQLite backend runs. All are constants: user strings are only ever bound as parameters.
/// Key ranges (<c>key &gt;= ?lo AND key &lt; ?hi</c>) select one adapter's namespace under the BINARY collation.
/// </summary>
internal static class SqlText
{
    public static ReadOnlySpan<byte> Get(SqlId id) => id switch
    {
        SqlId.BeginImmediate => "BEGIN IMMEDIATE"u8,
        SqlId.Commit => "COMMIT"u8,

        // Group commit: one savepoint per queued write, so a failing write rolls back alone.
        SqlId.SavepointWrite => "SAVEPOINT nap_write"u8,
        SqlId.ReleaseWrite => "RELEASE nap_write"u8,
        SqlId.RollbackToWrite => "ROLLBACK TO nap_write"u8,

        // A multi-statement write inside a group-commit transaction nests as a savepoint.
        SqlId.SavepointTransaction => "SAVEPOINT nap_tx"u8,
        SqlId.ReleaseTransaction => "RELEASE nap_tx"u8,
        SqlId.SchemaObjects => "SELECT name FROM sqlite_master WHERE name >= 'go_goscope_' AND name < 'go_goscope`'"u8,
        SqlId.MetaGet => "SELECT value FROM go_goscope_meta WHERE key = ?1"u8,

        // ?1 key, ?2 now (ms)
        // No row: a miss. A NULL value (never stored: the column is NOT NULL): the entry expired. Column 1 is NULL unless
        // the entry slides; a hit on a sliding entry then renews it (CacheRefresh). The expiry test costs the same here
        // as in a WHERE clause, and tells an expired entry from a missing one without a second statement.
        SqlId.CacheGet => "SELECT CASE WHEN expires_at IS NULL OR expires_at > ?2 THEN value END, sliding_ms FROM go_goscope_cache WHERE key = ?1"u8,

        // ?1 key, ?2 value, ?3 expires_at, ?4 now
        SqlId.CacheSet => """
            INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
              sliding_ms = NULL, absolute_expires_at = NULL
            """u8,

        // ?1 key, ?2 value, ?3 expires_at, ?4 now, ?5 sliding_ms, ?6 absolute_expires_at
        SqlId.CacheSetEntry => """
            INSERT INTO go_goscope_cache(key, value, expires_at, created_at, sliding_ms, absolute_expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
              sliding_ms = excluded.sliding_ms, absolute_expires_at = excluded.absolute_expires_at
            """u8,

        // ?1 key, ?2 now: renews a live sliding entry (never past its absolute expiry); returns a row if the entry is live.
        SqlId.CacheRefresh => """
            UPDATE go_goscope_cache SET expires_at = CASE WHEN sliding_ms IS NULL THEN expires_at
              ELSE min(?2 + sliding_ms, coalesce(absolute_expires_at, ?2 + sliding_ms)) END
            WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2) RETURNING 1
            """u8,
        SqlId.CacheAdd => """
            INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
              sliding_ms = NULL, absolute_expires_at = NULL
            WHERE go_goscope_cache.expires_at IS NOT NULL AND go_goscope_cache.expires_at <= excluded.created_at
            """u8,
        SqlId.CacheDelete => "DELETE FROM go_goscope_cache WHERE key = ?1 RETURNING expires_at IS NULL OR expires_at > ?2"u8,
        SqlId.CacheHas => "SELECT 1 FROM go_goscope_cache WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)"u8,

        // ?1 lo, ?2 hi, ?3 now, ?4 limit
        SqlId.CacheClear => "DELETE FROM go_goscope_cache WHERE key >= ?1 AND key < ?2"u8,
        SqlId.CacheKeys => "SELECT key FROM go_goscope_cache WHERE key >= ?1 AND key < ?2 AND (expires_at IS NULL OR expires_at > ?3)"u8,
        // INDEXED BY: the sweep must walk the expired rows, never the whole namespace (a planner choice without ANALYZE).
        SqlId.CacheSweep => """
            DELETE FROM go_goscope_cache WHERE rowid IN (
              SELECT rowid FROM go_goscope_cache INDEXED BY idx_cache_expires
              WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2 LIMIT ?4)
            """u8,

        // ?1 key
        SqlId.CircuitGet => "SELECT state, failure_count, last_failure_time, last_success_time FROM go_goscope_circuit WHERE key = ?1"u8,

        // ?1 key, ?2 state, ?3 failure_count, ?4 last_failure_time, ?5 last_success_time, ?6 now
        SqlId.CircuitSet => """
            INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, last_success_time, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(key) DO UPDATE SET state = excluded.state, failure_count = excluded.failure_count,
              last_failure_time = excluded.last_failure_time, last_success_time = excluded.last_success_time,
              updated_at = excluded.updated_at
            """u8,

        // ?1 key, ?2 now, ?3 max failures: one statement, so concurrent failures from any process add exactly one each.
        SqlId.CircuitFailure => """
            INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, updated_at)
            VALUES (?1, CASE WHEN ?3 <= 1 THEN 'open' ELSE 'closed' END, 1, ?2, ?2)
            ON CONFLICT(key) DO UPDATE SET
              failure_count = go_goscope_circuit.failure_count + 1,
              state = CASE WHEN go_goscope_circuit.failure_count + 1 >= ?3 THEN 'open' ELSE go_goscope_circuit.state END,
              last_failure_time = excluded.last_failure_time,
              updated_at = excluded.updated_at
            RETURNING failure_count
            """u8,

        // ?1 key, ?2 now: keeps last_failure_time.
        SqlId.CircuitSuccess => """
            INSERT INTO go_goscope_circuit(key, state, failure_count, last_success_time, updated_at) VALUES (?1, 'closed', 0, ?2, ?2)
            ON CONFLICT(key) DO UPDATE SET state = 'closed', failure_count = 0,
              last_success_time = excluded.last_success_time, updated_at = excluded.updated_at
            """u8,

        // ?1 id, ?2 task_id, ?3 sequence, ?4 timestamp, ?5 progress, ?6 data, ?7 eta (ms), ?8 now
        SqlId.CheckpointSave => """
            INSERT INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, progress, data, estimated_time_remaining, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            ON CONFLICT(id) DO UPDATE SET task_id = excluded.task_id, sequence = excluded.sequence, timestamp = excluded.timestamp,
              progress = excluded.progress, data = excluded.data, estimated_time_remaining = excluded.estimated_time_remaining
            """u8,

        // ?1 task_id
        SqlId.CheckpointLatest => """
            SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
            WHERE task_id = ?1 ORDER BY sequence DESC, id DESC LIMIT 1
            """u8,

        // ?1 id
        SqlId.CheckpointLoad => """
            SELECT task_id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints WHERE id = ?1
            """u8,
        SqlId.CheckpointList => """
            SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
            WHERE task_id = ?1 ORDER BY sequence, id
            """u8,
        SqlId.CheckpointListInfo => """
            SELECT id, sequence, timestamp, progress, estimated_time_remaining FROM go_goscope_checkpoints
            WHERE task_id = ?1 ORDER BY sequence, id
            """u8,

        // ?1 task_id, ?2 keep count
        SqlId.CheckpointCleanup => """
            DELETE FROM go_goscope_checkpoints WHERE task_id = ?1 AND id NOT IN (
              SELECT id FROM go_goscope_checkpoints WHERE task_id = ?1 ORDER BY sequence DESC, id DESC LIMIT ?2)
            """u8,
        SqlId.CheckpointDeleteAll => "DELETE FROM go_goscope_checkpoints WHERE task_id = ?1"u8,

        // ?1 key, ?2 now
        SqlId.IdempotencyGet => "SELECT value, expires_at FROM go_goscope_idempotency WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)"u8,

        // ?1 key, ?2 value, ?3 expires_at, ?4 now
        SqlId.IdempotencySet => """
            INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at
            """u8,
        // ?1 key, ?2 value, ?3 expires_at, ?4 now: stores only where no live record exists (the first stored result wins).
        SqlId.IdempotencyAdd => """
            INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
              updated_at = excluded.updated_at
            WHERE go_goscope_idempotency.expires_at IS NOT NULL AND go_goscope_idempotency.expires_at <= excluded.created_at
            """u8,
        SqlId.IdempotencyDelete => "DELETE FROM go_goscope_idempotency WHERE key = ?1 RETURNING expires_at IS NULL OR expires_at > ?2"u8,

        // ?1 lo, ?2 hi, ?3 now, ?4 limit
        SqlId.IdempotencySweep => """
            DELETE FROM go_goscope_idempotency WHERE rowid IN (
              SELECT rowid FROM go_goscope_idempotency INDEXED BY idx_idempotency_expires
              WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2 LIMIT ?4)
            """u8,

        // ?1 key
        SqlId.LockSelect => "SELECT owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = ?1"u8,

        // One counter for the whole database, so pruning lock rows never reuses a token.
        SqlId.LockNextToken => """
            UPDATE go_goscope_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'lock_fencing_counter'
            RETURNING CAST(value AS INTEGER)
            """u8,

        // ?1 key, ?2 owner, ?3 expires_at, ?4 fencing_token, ?5 holder_host, ?6 holder_pid, ?7 holder_start
        SqlId.LockUpsert => """
            INSERT INTO go_goscope_locks(key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, fencing_token = excluded.fencing_token,
              holder_host = excluded.holder_host, holder_pid = excluded.holder_pid, holder_start = excluded.holder_start
            """u8,

        // ?1 key, ?2 owner, ?3 now, ?4 new expires_at: a lock that already expired is never revived.
        SqlId.LockExtend => "UPDATE go_goscope_locks SET expires_at = ?4 WHERE key = ?1 AND owner = ?2 AND expires_at > ?3 AND (?5 = 0 OR fencing_token = ?5)"u8,
        SqlId.LockRelease => "DELETE FROM go_goscope_locks WHERE key = ?1 AND owner = ?2 AND (?3 = 0 OR expires_at = ?3) AND (?4 = 0 OR fencing_token = ?4)"u8,
        SqlId.LockForceRelease => "DELETE FROM go_goscope_locks WHERE key = ?1"u8,

        // ?1 key, ?2 now
        SqlId.LockInfo => "SELECT owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = ?1 AND expires_at > ?2"u8,

        // ?1 lo, ?2 hi, ?3 now
        SqlId.LockSweep => "DELETE FROM go_goscope_locks WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2"u8,
        // Inspection, all by namespace range: ?1 lo, ?2 hi, ?3 now
        SqlId.AdminCacheCounts => """
            SELECT count(*), coalesce(sum(expires_at IS NOT NULL AND expires_at <= ?3), 0) FROM go_goscope_cache WHERE key >= ?1 AND key < ?2
            """u8,
        SqlId.AdminIdempotencyCounts => """
            SELECT count(*), coalesce(sum(expires_at IS NOT NULL AND expires_at <= ?3), 0) FROM go_goscope_idempotency WHERE key >= ?1 AND key < ?2
            """u8,
        SqlId.AdminLockCounts => "SELECT count(*), coalesce(sum(expires_at <= ?3), 0) FROM go_goscope_locks WHERE key >= ?1 AND key < ?2"u8,
        SqlId.AdminCircuits => """
            SELECT key, state, failure_count, last_failure_time, last_success_time, updated_at FROM go_goscope_circuit
            WHERE key >= ?1 AND key < ?2
            """u8,
        SqlId.AdminCheckpointCounts => "SELECT count(*), count(DISTINCT task_id) FROM go_goscope_checkpoints WHERE task_id >= ?1 AND task_id < ?2"u8,

        // SQLite takes the bare columns of an aggregate query with max() from the row that holds the maximum.
        SqlId.AdminTasks => """
            SELECT task_id, count(*), max(sequence), progress, estimated_time_remaining, timestamp FROM go_goscope_checkpoints
            WHERE task_id >= ?1 AND task_id < ?2 GROUP BY task_id
            """u8,
        SqlId.AdminLocks => """
            SELECT key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks
            WHERE key >= ?1 AND key < ?2 AND expires_at > ?3
            """u8,
        SqlId.AdminIdempotency => """
            SELECT key, expires_at, created_at, length(CAST(value AS BLOB)) FROM go_goscope_idempotency
            WHERE key >= ?1 AND key < ?2 AND (expires_at IS NULL OR expires_at > ?3)
            """u8,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
    };
}
