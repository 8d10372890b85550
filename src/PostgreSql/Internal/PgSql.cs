namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// Every SQL text the PostgreSQL backend runs: constants, with user strings only ever bound as parameters. Keys,
/// owners and ids are <c>bytea</c> (their UTF-8 bytes), so they compare byte by byte like SQLite's BINARY collation,
/// may hold U+0000, and one adapter's namespace is the half-open range <c>key &gt;= $lo AND key &lt; $hi</c>.
/// Times are Unix milliseconds decided by the adapter's <see cref="TimeProvider"/>, never the server's clock.
/// </summary>
internal static class PgSql
{
    public const string SchemaVersion = "SELECT value FROM go_goscope_meta WHERE key = 'schema_version'";

    // Resolved through search_path, exactly as the unqualified statements below are.
    public const string SchemaTables = """
        SELECT t FROM unnest(ARRAY['go_goscope_meta', 'go_goscope_cache', 'go_goscope_circuit', 'go_goscope_checkpoints',
          'go_goscope_idempotency', 'go_goscope_locks', 'go_goscope_lock_fencing']) AS t WHERE to_regclass(t) IS NOT NULL
        """;

    public const string ServerEncoding = "SELECT current_setting('server_encoding')";

    // One creator at a time per database: concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique index.
    public const string SchemaLock = "SELECT pg_advisory_xact_lock(7453010373645631343)";

    public const string CreateScript = """
        CREATE TABLE IF NOT EXISTS go_goscope_meta (
          key text PRIMARY KEY,
          value text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS go_goscope_cache (
          key bytea PRIMARY KEY,
          value text NOT NULL,
          expires_at bigint,
          created_at bigint,
          sliding_ms bigint,
          absolute_expires_at bigint
        );
        -- Version 1 -> 2: sliding expiry (a version 1 cache table gains the columns; existing rows keep their expiry).
        ALTER TABLE go_goscope_cache ADD COLUMN IF NOT EXISTS sliding_ms bigint;
        ALTER TABLE go_goscope_cache ADD COLUMN IF NOT EXISTS absolute_expires_at bigint;
        CREATE INDEX IF NOT EXISTS go_goscope_cache_expires ON go_goscope_cache(expires_at) WHERE expires_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS go_goscope_circuit (
          key bytea PRIMARY KEY,
          state text NOT NULL,
          failure_count bigint NOT NULL DEFAULT 0,
          last_failure_time bigint,
          last_success_time bigint,
          updated_at bigint NOT NULL
        );
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
        CREATE TABLE IF NOT EXISTS go_goscope_idempotency (
          key bytea PRIMARY KEY,
          value text NOT NULL,
          expires_at bigint,
          created_at bigint,
          updated_at bigint
        );
        CREATE INDEX IF NOT EXISTS go_goscope_idempotency_expires ON go_goscope_idempotency(expires_at) WHERE expires_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS go_goscope_locks (
          key bytea PRIMARY KEY,
          owner bytea NOT NULL,
          expires_at bigint NOT NULL,
          fencing_token bigint NOT NULL,
          holder_host text,
          holder_pid bigint,
          holder_start bigint
        );
        -- Version 2 -> 3: who holds each lock (host identity, process id and start time), so a holder that died on the
        -- same host is taken over at once; existing rows have no holder and are judged by their TTL.
        ALTER TABLE go_goscope_locks ADD COLUMN IF NOT EXISTS holder_host text;
        ALTER TABLE go_goscope_locks ADD COLUMN IF NOT EXISTS holder_pid bigint;
        ALTER TABLE go_goscope_locks ADD COLUMN IF NOT EXISTS holder_start bigint;
        CREATE SEQUENCE IF NOT EXISTS go_goscope_lock_fencing;
        INSERT INTO go_goscope_meta(key, value) VALUES ('schema_version', '3') ON CONFLICT (key) DO UPDATE SET value = excluded.value;
        """;

    // $1 key, $2 now
    // No row: a miss. A NULL value (never stored: the column is NOT NULL): the entry expired, and its value is not sent.
    // Column 1 is NULL unless the entry slides; a hit on a sliding entry then renews it (CacheRefresh).
    public const string CacheGet = "SELECT CASE WHEN expires_at IS NULL OR expires_at > $2 THEN value END, sliding_ms FROM go_goscope_cache WHERE key = $1";
    public const string CacheHas = "SELECT 1 FROM go_goscope_cache WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)";

    // $1 key, $2 value, $3 expires_at, $4 now
    public const string CacheSet = """
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = NULL, absolute_expires_at = NULL
        """;

    // $1 key, $2 value, $3 expires_at, $4 now, $5 sliding_ms, $6 absolute_expires_at
    public const string CacheSetEntry = """
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at, sliding_ms, absolute_expires_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = excluded.sliding_ms, absolute_expires_at = excluded.absolute_expires_at
        """;

    // $1 key, $2 now: renews a live sliding entry (never past its absolute expiry); returns a row if the entry is live.
    public const string CacheRefresh = """
        UPDATE go_goscope_cache SET expires_at = CASE WHEN sliding_ms IS NULL THEN expires_at
          ELSE least($2 + sliding_ms, coalesce(absolute_expires_at, $2 + sliding_ms)) END
        WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2) RETURNING 1
        """;

    public const string CacheAdd = """
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = NULL, absolute_expires_at = NULL
        WHERE go_goscope_cache.expires_at IS NOT NULL AND go_goscope_cache.expires_at <= excluded.created_at
        """;

    // $1 key, $2 now: whether a live entry was removed (an expired one is removed too, but was already gone).
    public const string CacheDelete = "DELETE FROM go_goscope_cache WHERE key = $1 RETURNING expires_at IS NULL OR expires_at > $2";

    // $1 lo, $2 hi, $3 now, $4 limit
    public const string CacheClear = "DELETE FROM go_goscope_cache WHERE key >= $1 AND key < $2";
    public const string CacheKeys = "SELECT key FROM go_goscope_cache WHERE key >= $1 AND key < $2 AND (expires_at IS NULL OR expires_at > $3)";
    public const string CacheSweep = """
        DELETE FROM go_goscope_cache WHERE key IN (
          SELECT key FROM go_goscope_cache WHERE expires_at <= $3 AND key >= $1 AND key < $2 LIMIT $4)
        """;

    // $1 key
    public const string CircuitGet = "SELECT state, failure_count, last_failure_time, last_success_time FROM go_goscope_circuit WHERE key = $1";

    // $1 key, $2 state, $3 failure_count, $4 last_failure_time, $5 last_success_time, $6 now
    public const string CircuitSet = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, last_success_time, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (key) DO UPDATE SET state = excluded.state, failure_count = excluded.failure_count,
          last_failure_time = excluded.last_failure_time, last_success_time = excluded.last_success_time,
          updated_at = excluded.updated_at
        """;

    // $1 key, $2 now, $3 max failures: one statement, so concurrent failures from any machine add exactly one each.
    public const string CircuitFailure = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_failure_time, updated_at)
        VALUES ($1, CASE WHEN $3 <= 1 THEN 'open' ELSE 'closed' END, 1, $2, $2)
        ON CONFLICT (key) DO UPDATE SET
          failure_count = go_goscope_circuit.failure_count + 1,
          state = CASE WHEN go_goscope_circuit.failure_count + 1 >= $3 THEN 'open' ELSE go_goscope_circuit.state END,
          last_failure_time = excluded.last_failure_time,
          updated_at = excluded.updated_at
        RETURNING failure_count
        """;

    // $1 key, $2 now: keeps last_failure_time.
    public const string CircuitSuccess = """
        INSERT INTO go_goscope_circuit(key, state, failure_count, last_success_time, updated_at) VALUES ($1, 'closed', 0, $2, $2)
        ON CONFLICT (key) DO UPDATE SET state = 'closed', failure_count = 0,
          last_success_time = excluded.last_success_time, updated_at = excluded.updated_at
        """;

    // $1 id, $2 task_id, $3 sequence, $4 timestamp, $5 progress, $6 data, $7 eta (ms), $8 now
    public const string CheckpointSave = """
        INSERT INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, progress, data, estimated_time_remaining, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, sequence = excluded.sequence, timestamp = excluded.timestamp,
          progress = excluded.progress, data = excluded.data, estimated_time_remaining = excluded.estimated_time_remaining
        """;

    // $1 task_id
    public const string CheckpointLatest = """
        SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
        WHERE task_id = $1 ORDER BY sequence DESC, id DESC LIMIT 1
        """;

    // $1 id
    public const string CheckpointLoad = """
        SELECT task_id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints WHERE id = $1
        """;

    public const string CheckpointList = """
        SELECT id, sequence, timestamp, progress, estimated_time_remaining, data FROM go_goscope_checkpoints
        WHERE task_id = $1 ORDER BY sequence, id
        """;

    public const string CheckpointListInfo = """
        SELECT id, sequence, timestamp, progress, estimated_time_remaining FROM go_goscope_checkpoints
        WHERE task_id = $1 ORDER BY sequence, id
        """;

    // $1 task_id, $2 keep count
    public const string CheckpointCleanup = """
        DELETE FROM go_goscope_checkpoints WHERE task_id = $1 AND id NOT IN (
          SELECT id FROM go_goscope_checkpoints WHERE task_id = $1 ORDER BY sequence DESC, id DESC LIMIT $2)
        """;

    public const string CheckpointDeleteAll = "DELETE FROM go_goscope_checkpoints WHERE task_id = $1";

    // $1 key, $2 now
    public const string IdempotencyGet = "SELECT value, expires_at FROM go_goscope_idempotency WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)";

    // $1 key, $2 value, $3 expires_at, $4 now
    public const string IdempotencySet = """
        INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at
        """;

    // $1 key, $2 value, $3 expires_at, $4 now: stores only where no live record exists (the first stored result wins).
    public const string IdempotencyAdd = """
        INSERT INTO go_goscope_idempotency AS i(key, value, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          updated_at = excluded.updated_at
        WHERE i.expires_at IS NOT NULL AND i.expires_at <= excluded.created_at
        """;

    public const string IdempotencyDelete = "DELETE FROM go_goscope_idempotency WHERE key = $1 RETURNING expires_at IS NULL OR expires_at > $2";

    // $1 lo, $2 hi, $3 now, $4 limit
    public const string IdempotencySweep = """
        DELETE FROM go_goscope_idempotency WHERE key IN (
          SELECT key FROM go_goscope_idempotency WHERE expires_at <= $3 AND key >= $1 AND key < $2 LIMIT $4)
        """;

    // $1 key, $2 owner, $3 expires_at, $4 now, $5 holder_host, $6 holder_pid, $7 holder_start. The row lock taken by ON
    // CONFLICT serializes acquirers of a key, the holder's token is kept on a re-entrant acquire, and a new holder over an
    // existing row draws the next value of the database's sequence while holding that row lock. A fresh row is inserted
    // with token 0 and draws its token next (LockDrawToken), in the same transaction, once the row is ours: a token drawn
    // in VALUES, before the insert, could be older than those of holders that took and released the key while this
    // insert was on its way, so a later holder would get a smaller token. Tokens of one key therefore rise in the order
    // holders got it. A re-entrant acquire from another process than the recorded holder clears the holder columns (held
    // from two processes, one of them ending must not let a third owner in). The second column says whether the grant
    // was re-entrant: a subquery in RETURNING sees the row as it was before this statement.
    public const string LockAcquire = """
        INSERT INTO go_goscope_locks AS l(key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start)
        VALUES ($1, $2, $3, 0, $5, $6, $7)
        ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
          fencing_token = CASE WHEN l.owner = excluded.owner AND l.expires_at > $4 THEN l.fencing_token
                               ELSE nextval('go_goscope_lock_fencing') END,
          holder_host = CASE WHEN l.owner = excluded.owner AND l.expires_at > $4
                               AND (l.holder_host, l.holder_pid, l.holder_start) IS DISTINCT FROM (excluded.holder_host, excluded.holder_pid, excluded.holder_start)
                             THEN NULL ELSE excluded.holder_host END,
          holder_pid = CASE WHEN l.owner = excluded.owner AND l.expires_at > $4
                              AND (l.holder_host, l.holder_pid, l.holder_start) IS DISTINCT FROM (excluded.holder_host, excluded.holder_pid, excluded.holder_start)
                            THEN NULL ELSE excluded.holder_pid END,
          holder_start = CASE WHEN l.owner = excluded.owner AND l.expires_at > $4
                                AND (l.holder_host, l.holder_pid, l.holder_start) IS DISTINCT FROM (excluded.holder_host, excluded.holder_pid, excluded.holder_start)
                              THEN NULL ELSE excluded.holder_start END
        WHERE l.expires_at <= $4 OR l.owner = excluded.owner
        RETURNING fencing_token,
          EXISTS (SELECT 1 FROM go_goscope_locks b WHERE b.key = $1 AND b.owner = $2 AND b.expires_at > $4)
        """;

    // $1 key, $2 expires_at: the token of a row this transaction has just inserted (sequence values start at 1, so 0
    // marks "none yet"), with the expiry counted from the moment the row was ours.
    public const string LockDrawToken = """
        UPDATE go_goscope_locks SET fencing_token = nextval('go_goscope_lock_fencing'), expires_at = $2 WHERE key = $1 RETURNING fencing_token
        """;

    // $1 key, $2 expires_at: the expiry of a row this transaction holds, counted from the grant (after any wait for the row).
    public const string LockSetExpiry = "UPDATE go_goscope_locks SET expires_at = $2 WHERE key = $1";

    // $1 key, $2 now: the live holder of a key another owner holds, locked until this transaction ends.
    public const string LockHolder = """
        SELECT owner, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = $1 AND expires_at > $2 FOR UPDATE
        """;

    // $1 key, $2 owner, $3 expires_at, $4 the dead holder's owner, $5 holder_host, $6 holder_pid, $7 holder_start
    public const string LockTakeOver = """
        UPDATE go_goscope_locks SET owner = $2, expires_at = $3, fencing_token = nextval('go_goscope_lock_fencing'),
          holder_host = $5, holder_pid = $6, holder_start = $7
        WHERE key = $1 AND owner = $4 RETURNING fencing_token
        """;

    // $1 key, $2 owner, $3 token (0: any): the expiry of the owner's row, locked until this transaction ends (a renewal
    // reads the clock after).
    public const string LockOwned = "SELECT expires_at FROM go_goscope_locks WHERE key = $1 AND owner = $2 AND ($3 = 0 OR fencing_token = $3) FOR UPDATE";

    public const string LockRelease = "DELETE FROM go_goscope_locks WHERE key = $1 AND owner = $2 AND ($3 = 0 OR expires_at = $3) AND ($4 = 0 OR fencing_token = $4)";
    public const string LockForceRelease = "DELETE FROM go_goscope_locks WHERE key = $1";

    // $1 key, $2 now
    public const string LockInfo = """
        SELECT owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = $1 AND expires_at > $2
        """;

    // $1 lo, $2 hi, $3 now
    public const string LockSweep = "DELETE FROM go_goscope_locks WHERE expires_at <= $3 AND key >= $1 AND key < $2";

    // Inspection, all by namespace range: $1 lo, $2 hi, $3 now
    public const string AdminCacheCounts = """
        SELECT count(*), count(*) FILTER (WHERE expires_at IS NOT NULL AND expires_at <= $3) FROM go_goscope_cache WHERE key >= $1 AND key < $2
        """;

    public const string AdminIdempotencyCounts = """
        SELECT count(*), count(*) FILTER (WHERE expires_at IS NOT NULL AND expires_at <= $3) FROM go_goscope_idempotency WHERE key >= $1 AND key < $2
        """;

    public const string AdminLockCounts = "SELECT count(*), count(*) FILTER (WHERE expires_at <= $3) FROM go_goscope_locks WHERE key >= $1 AND key < $2";

    public const string AdminCircuits = """
        SELECT key, state, failure_count, last_failure_time, last_success_time, updated_at FROM go_goscope_circuit
        WHERE key >= $1 AND key < $2 ORDER BY key
        """;

    public const string AdminSize = """
        SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0)::bigint FROM unnest(ARRAY['go_goscope_meta', 'go_goscope_cache',
          'go_goscope_circuit', 'go_goscope_checkpoints', 'go_goscope_idempotency', 'go_goscope_locks']) AS t
        """;

    public const string AdminCheckpointCounts = "SELECT count(*), count(DISTINCT task_id) FROM go_goscope_checkpoints WHERE task_id >= $1 AND task_id < $2";

    public const string AdminTasks = """
        SELECT DISTINCT ON (task_id) task_id, count(*) OVER (PARTITION BY task_id), sequence, progress, estimated_time_remaining, timestamp
        FROM go_goscope_checkpoints WHERE task_id >= $1 AND task_id < $2 ORDER BY task_id, sequence DESC, id DESC
        """;

    public const string AdminLocks = """
        SELECT key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks
        WHERE key >= $1 AND key < $2 AND expires_at > $3 ORDER BY key
        """;

    public const string AdminIdempotency = """
        SELECT key, expires_at, created_at, octet_length(value) FROM go_goscope_idempotency
        WHERE key >= $1 AND key < $2 AND (expires_at IS NULL OR expires_at > $3) ORDER BY key
        """;
}
