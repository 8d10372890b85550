namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The cache's SQL: its table <c>go_goscope_cache</c> (one row per key, expiry in Unix milliseconds) and every
/// statement on it. Constants, with user strings only ever bound as parameters (see <see cref="PgSql"/> for the storage
/// rules).
/// </summary>
internal static class PgCacheSql
{
    public const string Table = "go_goscope_cache";

    /// <summary>The cache's piece of the schema: its table and expiry index, and the version 1 to 2 migration.</summary>
    public static readonly PgTable Schema = new([Table], [], """
        CREATE TABLE IF NOT EXISTS go_goscope_cache (
          key bytea PRIMARY KEY,
          value text NOT NULL,
          expires_at bigint,
          created_at bigint,
          sliding_ms bigint,
          absolute_expires_at bigint,
          tags jsonb,
          fresh_until bigint
        );
        -- Version 1 -> 2: sliding expiry (a version 1 cache table gains the columns; existing rows keep their expiry).
        ALTER TABLE go_goscope_cache ADD COLUMN IF NOT EXISTS sliding_ms bigint;
        ALTER TABLE go_goscope_cache ADD COLUMN IF NOT EXISTS absolute_expires_at bigint;
        CREATE INDEX IF NOT EXISTS go_goscope_cache_expires ON go_goscope_cache(expires_at) WHERE expires_at IS NOT NULL;
        -- Version 4 -> 5: tags (a JSON array of strings; existing rows have none), found through a GIN index.
        ALTER TABLE go_goscope_cache ADD COLUMN IF NOT EXISTS tags jsonb;
        CREATE INDEX IF NOT EXISTS go_goscope_cache_tags ON go_goscope_cache USING gin (tags) WHERE tags IS NOT NULL;
        -- Version 5 -> 6: fail-safe rows (fresh_until: the expiry reads see, while expires_at, when the row is reclaimed,
        -- is later; NULL for every other row, existing ones included).
        ALTER TABLE go_goscope_cache ADD COLUMN IF NOT EXISTS fresh_until bigint;
        """);

    // Every read tests liveness as expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE
    // expires_at END > now: a fail-safe row is expired for all of them once fresh_until passed, though kept until expires_at for GetOrSet's fail-safe
    // (ReadEntry). Sweeps and prune go by expires_at alone. The created_at test keeps the writes of a schema version 5
    // process still running after the migration (it knows nothing of fresh_until) by their own expires_at (see the
    // SQLite cache SQL).

    // $1 key, $2 now
    // No row: a miss. A NULL value (never stored: the column is NOT NULL): the entry expired, and its value is not sent.
    // Column 1 is NULL unless the entry slides; a hit on a sliding entry then renews it (Refresh).
    public const string Get = "SELECT CASE WHEN expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END > $2 THEN value END, sliding_ms FROM go_goscope_cache WHERE key = $1";

    public const string Has = "SELECT 1 FROM go_goscope_cache WHERE key = $1 AND (expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END > $2)";

    // $1 key, $2 value, $3 expires_at, $4 now
    public const string Set = """
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = NULL, absolute_expires_at = NULL, tags = NULL, fresh_until = NULL
        """;

    // $1 key, $2 value, $3 expires_at, $4 now, $5 sliding_ms, $6 absolute_expires_at, $7 tags (JSON text or NULL), $8 fresh_until
    public const string SetEntry = """
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at, sliding_ms, absolute_expires_at, tags, fresh_until) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = excluded.sliding_ms, absolute_expires_at = excluded.absolute_expires_at, tags = excluded.tags, fresh_until = excluded.fresh_until
        """;

    // $1 key, $2 now: a live entry, or a fail-safe one kept past its expiry (column 3 then at or before now), with when it
    // was stored and when it expires (NULL: never).
    public const string ReadEntry = """
        SELECT value, sliding_ms, created_at, CASE WHEN expires_at IS NULL THEN NULL WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END
        FROM go_goscope_cache
        WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)
        """;

    // $1 lo, $2 hi, $3 tag: the entries of one namespace with the tag (jsonb ?, through the GIN index).
    public const string RemoveByTag = "DELETE FROM go_goscope_cache WHERE tags ? $3 AND key >= $1 AND key < $2";

    // $1 key, $2 now: renews a live sliding entry (never past its absolute expiry); returns a row if the entry is live.
    public const string Refresh = """
        UPDATE go_goscope_cache SET expires_at = CASE WHEN sliding_ms IS NULL THEN expires_at
          ELSE least($2 + sliding_ms, coalesce(absolute_expires_at, $2 + sliding_ms)) END
        WHERE key = $1 AND (expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END > $2) RETURNING 1
        """;

    public const string Add = """
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = NULL, absolute_expires_at = NULL, tags = NULL, fresh_until = NULL
        WHERE go_goscope_cache.expires_at IS NOT NULL
          AND CASE WHEN go_goscope_cache.fresh_until > go_goscope_cache.created_at THEN go_goscope_cache.fresh_until ELSE go_goscope_cache.expires_at END <= excluded.created_at
        """;

    // $1 key, $2 now: whether a live entry was removed (an expired one is removed too, but was already gone).
    public const string Delete = "DELETE FROM go_goscope_cache WHERE key = $1 RETURNING expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END > $2";

    // $1 lo, $2 hi, $3 now, $4 limit
    public const string Clear = "DELETE FROM go_goscope_cache WHERE key >= $1 AND key < $2";

    public const string Keys = "SELECT key FROM go_goscope_cache WHERE key >= $1 AND key < $2 AND (expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END > $3)";

    public const string Sweep = """
        DELETE FROM go_goscope_cache WHERE key IN (
          SELECT key FROM go_goscope_cache WHERE expires_at <= $3 AND key >= $1 AND key < $2 LIMIT $4)
        """;

    // $1 lo, $2 hi, $3 now: per tag of one namespace, its entries live and expired (byte order of the tag).
    public const string AdminTags = """
        SELECT tag, count(*) FILTER (WHERE expires_at IS NULL OR CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END > $3), count(*) FILTER (WHERE expires_at IS NOT NULL AND CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END <= $3)
        FROM go_goscope_cache, jsonb_array_elements_text(tags) AS tag
        WHERE tags IS NOT NULL AND key >= $1 AND key < $2 GROUP BY tag ORDER BY convert_to(tag, 'UTF8')
        """;

    // Inspection, by namespace range: $1 lo, $2 hi, $3 now
    public const string AdminCounts = """
        SELECT count(*), count(*) FILTER (WHERE expires_at IS NOT NULL AND CASE WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END <= $3) FROM go_goscope_cache WHERE key >= $1 AND key < $2
        """;
}
