namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The semaphores' SQL on PostgreSQL: their table <c>go_goscope_semaphores</c> (one row per live permit) and every
/// statement on it; fencing tokens come from the engine's sequence (<see cref="PgSql.FencingSequence"/>, shared with
/// locks). Constants, with user strings only ever bound as parameters (see <see cref="PgSql"/> for the storage rules).
/// </summary>
internal static class PgSemaphoreSql
{
    public const string Table = "go_goscope_semaphores";

    /// <summary>The semaphores' piece of the schema: one row per permit, the limit it was granted with, its expiry, token and holder.</summary>
    public static readonly PgTable Schema = new([Table], [], """
        CREATE TABLE IF NOT EXISTS go_goscope_semaphores (
          key bytea NOT NULL,
          owner bytea NOT NULL,
          permits integer NOT NULL,
          expires_at bigint NOT NULL,
          fencing_token bigint NOT NULL,
          holder_host text,
          holder_pid bigint,
          holder_start bigint,
          PRIMARY KEY (key, owner)
        );
        CREATE INDEX IF NOT EXISTS idx_semaphores_expires ON go_goscope_semaphores(expires_at);
        """);

    // $1 key. Serializes the grants of one key across every connection and machine until the transaction ends. A row
    // lock (SELECT … FOR UPDATE) cannot: it locks only the permits that exist, so two grants of a key with fewer live
    // permits than its limit (none at all, say) would both count the same rows and both insert their own (key, owner)
    // row, over the limit; a row inserted meanwhile is not even seen by a FOR UPDATE that waited. The advisory lock is
    // taken in a statement of its own, so the next statement (READ COMMITTED: a fresh snapshot per statement) sees every
    // grant committed before it. The two-int4 form with the class id below is its own space (the schema lock uses the
    // one-bigint form); two keys with the same hash merely wait for each other.
    public const string GrantLock = "SELECT pg_advisory_xact_lock(1936027760, hashtext(encode($1, 'hex')))";

    // $1 key: every permit row of the key, expired or not (the grant drops the expired and the dead).
    public const string Select = """
        SELECT owner, expires_at, fencing_token, permits, holder_host, holder_pid, holder_start FROM go_goscope_semaphores WHERE key = $1
        """;

    // $1 key, $2 owner
    public const string Delete = "DELETE FROM go_goscope_semaphores WHERE key = $1 AND owner = $2";

    // The next fencing token, drawn by a new permit once the grant holds its key (so one key's tokens rise in grant order).
    public const string NextToken = "SELECT nextval('go_goscope_lock_fencing')";

    // $1 key, $2 owner, $3 permits, $4 expires_at, $5 fencing_token, $6 holder_host, $7 holder_pid, $8 holder_start
    public const string Upsert = """
        INSERT INTO go_goscope_semaphores(key, owner, permits, expires_at, fencing_token, holder_host, holder_pid, holder_start)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (key, owner) DO UPDATE SET permits = excluded.permits, expires_at = excluded.expires_at,
          fencing_token = excluded.fencing_token, holder_host = excluded.holder_host, holder_pid = excluded.holder_pid,
          holder_start = excluded.holder_start
        """;

    // $1 key, $2 owner, $3 token (0: any): the expiry of the owner's permit, locked until this transaction ends (a
    // renewal reads the clock after, so a permit that expired meanwhile is never revived).
    public const string Owned = """
        SELECT expires_at FROM go_goscope_semaphores WHERE key = $1 AND owner = $2 AND ($3 = 0 OR fencing_token = $3) FOR UPDATE
        """;

    // $1 key, $2 owner, $3 expires_at: the expiry of a permit this transaction holds.
    public const string SetExpiry = "UPDATE go_goscope_semaphores SET expires_at = $3 WHERE key = $1 AND owner = $2";

    // $1 key, $2 owner, $3 expires_at (0: any), $4 token (0: any)
    public const string Release = """
        DELETE FROM go_goscope_semaphores WHERE key = $1 AND owner = $2 AND ($3 = 0 OR expires_at = $3) AND ($4 = 0 OR fencing_token = $4)
        """;

    // $1 key, $2 owner, $3 now
    public const string HeldUntil = """
        SELECT expires_at, fencing_token FROM go_goscope_semaphores WHERE key = $1 AND owner = $2 AND expires_at > $3
        """;

    // $1 key, $2 now: the live permits, oldest token first.
    public const string Info = """
        SELECT owner, expires_at, fencing_token, permits, holder_host, holder_pid, holder_start FROM go_goscope_semaphores
        WHERE key = $1 AND expires_at > $2 ORDER BY fencing_token
        """;

    public const string ForceRelease = "DELETE FROM go_goscope_semaphores WHERE key = $1";

    // $1 lo, $2 hi, $3 now
    public const string Sweep = "DELETE FROM go_goscope_semaphores WHERE expires_at <= $3 AND key >= $1 AND key < $2";

    // Inspection, by namespace range: $1 lo, $2 hi, $3 now
    public const string AdminCounts = "SELECT count(*), count(*) FILTER (WHERE expires_at <= $3) FROM go_goscope_semaphores WHERE key >= $1 AND key < $2";

    public const string AdminList = """
        SELECT key, owner, expires_at, fencing_token, permits, holder_host, holder_pid, holder_start FROM go_goscope_semaphores
        WHERE key >= $1 AND key < $2 AND expires_at > $3 ORDER BY key, fencing_token
        """;
}
