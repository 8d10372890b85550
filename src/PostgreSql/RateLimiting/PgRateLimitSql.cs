namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The rate limits' SQL on PostgreSQL: their table <c>go_goscope_ratelimits</c> (one row per key: the algorithm's state
/// text) and every statement on it. Constants, with user strings only ever bound as parameters.
/// </summary>
internal static class PgRateLimitSql
{
    public const string Table = "go_goscope_ratelimits";

    /// <summary>The rate limits' piece of the schema.</summary>
    public static readonly PgTable Schema = new([Table], [], """
        CREATE TABLE IF NOT EXISTS go_goscope_ratelimits (
          key bytea PRIMARY KEY,
          state text NOT NULL,
          updated_at bigint NOT NULL,
          expires_at bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_ratelimits_expires ON go_goscope_ratelimits(expires_at);
        """);

    // $1 key: makes sure the key has a row (an expired, empty one), so the next statement has a row to lock. A row
    // inserted by a concurrent update makes this one wait for its transaction, then do nothing.
    public const string Ensure = """
        INSERT INTO go_goscope_ratelimits(key, state, updated_at, expires_at) VALUES ($1, '', 0, 0) ON CONFLICT (key) DO NOTHING
        """;

    // $1 key: the key's state and expiry, locked until this transaction ends (every update of the key waits here).
    public const string Lock = "SELECT state, expires_at FROM go_goscope_ratelimits WHERE key = $1 FOR UPDATE";

    // $1 key, $2 state, $3 updated_at, $4 expires_at
    public const string Update = "UPDATE go_goscope_ratelimits SET state = $2, updated_at = $3, expires_at = $4 WHERE key = $1";

    // $1 key
    public const string Reset = "DELETE FROM go_goscope_ratelimits WHERE key = $1";

    // $1 lo, $2 hi, $3 now
    public const string Sweep = "DELETE FROM go_goscope_ratelimits WHERE expires_at <= $3 AND key >= $1 AND key < $2";

    // Inspection, by namespace range: $1 lo, $2 hi, $3 now
    public const string AdminCounts = "SELECT count(*), count(*) FILTER (WHERE expires_at <= $3) FROM go_goscope_ratelimits WHERE key >= $1 AND key < $2";
}
