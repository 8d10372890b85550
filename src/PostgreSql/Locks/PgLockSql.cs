namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The database locks' SQL: their table <c>go_goscope_locks</c> (one row per held key) and every statement on it; fencing
/// tokens come from the engine's sequence <c>go_goscope_lock_fencing</c> (<see cref="PgSql.FencingSequence"/>, shared with semaphores). Constants, with user strings only ever bound as
/// parameters (see <see cref="PgSql"/> for the storage rules).
/// </summary>
internal static class PgLockSql
{
    public const string Table = "go_goscope_locks";

    /// <summary>The locks' piece of the schema: their table and the version 2 to 3 migration (the fencing sequence is the engine's).</summary>
    public static readonly PgTable Schema = new([Table], [], """
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
        """);

    // $1 key, $2 owner, $3 expires_at, $4 now, $5 holder_host, $6 holder_pid, $7 holder_start. The row lock taken by ON
    // CONFLICT serializes acquirers of a key, the holder's token is kept on a re-entrant acquire, and a new holder over an
    // existing row draws the next value of the database's sequence while holding that row lock. A fresh row is inserted
    // with token 0 and draws its token next (DrawToken), in the same transaction, once the row is ours: a token drawn
    // in VALUES, before the insert, could be older than those of holders that took and released the key while this
    // insert was on its way, so a later holder would get a smaller token. Tokens of one key therefore rise in the order
    // holders got it. A re-entrant acquire from another process than the recorded holder clears the holder columns (held
    // from two processes, one of them ending must not let a third owner in). The second column says whether the grant
    // was re-entrant: a subquery in RETURNING sees the row as it was before this statement.
    public const string Acquire = """
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
    public const string DrawToken = """
        UPDATE go_goscope_locks SET fencing_token = nextval('go_goscope_lock_fencing'), expires_at = $2 WHERE key = $1 RETURNING fencing_token
        """;

    // $1 key, $2 expires_at: the expiry of a row this transaction holds, counted from the grant (after any wait for the row).
    public const string SetExpiry = "UPDATE go_goscope_locks SET expires_at = $2 WHERE key = $1";

    // $1 key, $2 now: the live holder of a key another owner holds, locked until this transaction ends.
    public const string Holder = """
        SELECT owner, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = $1 AND expires_at > $2 FOR UPDATE
        """;

    // $1 key, $2 owner, $3 expires_at, $4 the dead holder's owner, $5 holder_host, $6 holder_pid, $7 holder_start
    public const string TakeOver = """
        UPDATE go_goscope_locks SET owner = $2, expires_at = $3, fencing_token = nextval('go_goscope_lock_fencing'),
          holder_host = $5, holder_pid = $6, holder_start = $7
        WHERE key = $1 AND owner = $4 RETURNING fencing_token
        """;

    // $1 key, $2 owner, $3 token (0: any): the expiry of the owner's row, locked until this transaction ends (a renewal
    // reads the clock after).
    public const string Owned = "SELECT expires_at FROM go_goscope_locks WHERE key = $1 AND owner = $2 AND ($3 = 0 OR fencing_token = $3) FOR UPDATE";

    public const string Release = "DELETE FROM go_goscope_locks WHERE key = $1 AND owner = $2 AND ($3 = 0 OR expires_at = $3) AND ($4 = 0 OR fencing_token = $4)";

    public const string ForceRelease = "DELETE FROM go_goscope_locks WHERE key = $1";

    // $1 key, $2 now
    public const string Info = """
        SELECT owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks WHERE key = $1 AND expires_at > $2
        """;

    // $1 lo, $2 hi, $3 now
    public const string Sweep = "DELETE FROM go_goscope_locks WHERE expires_at <= $3 AND key >= $1 AND key < $2";

    // Inspection, by namespace range: $1 lo, $2 hi, $3 now
    public const string AdminCounts = "SELECT count(*), count(*) FILTER (WHERE expires_at <= $3) FROM go_goscope_locks WHERE key >= $1 AND key < $2";

    public const string AdminList = """
        SELECT key, owner, expires_at, fencing_token, holder_host, holder_pid, holder_start FROM go_goscope_locks
        WHERE key >= $1 AND key < $2 AND expires_at > $3 ORDER BY key
        """;
}
