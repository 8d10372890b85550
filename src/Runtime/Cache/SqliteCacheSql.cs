using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The cache's SQL on SQLite: its statements and its table (one row per key, expiry in Unix milliseconds).</summary>
/// <remarks>Key ranges (<c>key &gt;= ?1 AND key &lt; ?2</c>) select one adapter's namespace under the BINARY collation.</remarks>
internal static class SqliteCacheSql
{
    /// <summary>The table, what belongs to it, and the columns later schema versions added.</summary>
    public static readonly SqliteTable Table = new(
        "go_goscope_cache",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_cache (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          expires_at INTEGER,
          created_at INTEGER,
          sliding_ms INTEGER,
          absolute_expires_at INTEGER,
          tags TEXT,
          fresh_until INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_cache_expires ON go_goscope_cache(expires_at);
        """,
        // Version 2: sliding expiry (two nullable columns; existing rows keep their expiry).
        (2, """
        ALTER TABLE go_goscope_cache ADD COLUMN sliding_ms INTEGER;
        ALTER TABLE go_goscope_cache ADD COLUMN absolute_expires_at INTEGER;
        """),
        // Version 5: tags (a JSON array of strings; existing rows have none). Their index is TagsTable.
        (5, """
        ALTER TABLE go_goscope_cache ADD COLUMN tags TEXT;
        """),
        // Version 6: fail-safe rows (fresh_until: the expiry reads see, while expires_at, when the row is reclaimed, is
        // later; NULL for every other row, existing ones included).
        (6, """
        ALTER TABLE go_goscope_cache ADD COLUMN fresh_until INTEGER;
        """));

    /// <summary>
    /// The tags' index: one row per (tag, key), kept by triggers from the entry's <c>tags</c>, so every path that writes
    /// or deletes an entry (set, add, delete, clear, the sweep, prune) keeps it exact, and an entry without tags costs
    /// nothing (the <c>WHEN</c> clauses). Keys are stored keys (the adapter's prefix included). Registered after
    /// <see cref="Table"/>, so the triggers are created once the column exists; a file that lost this table or a trigger
    /// (dropped by hand) gets it back on the next connect, the index rebuilt from the entries' tags.
    /// </summary>
    public static readonly SqliteTable TagsTable = new(
        "go_goscope_cache_tags",
        """
        CREATE TABLE IF NOT EXISTS go_goscope_cache_tags (
          tag TEXT NOT NULL,
          key TEXT NOT NULL,
          PRIMARY KEY (tag, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_cache_tags_key ON go_goscope_cache_tags(key);
        CREATE TRIGGER IF NOT EXISTS go_goscope_cache_tags_insert AFTER INSERT ON go_goscope_cache WHEN new.tags IS NOT NULL
        BEGIN
          INSERT OR IGNORE INTO go_goscope_cache_tags(tag, key) SELECT value, new.key FROM json_each(new.tags);
        END;
        CREATE TRIGGER IF NOT EXISTS go_goscope_cache_tags_update AFTER UPDATE OF tags ON go_goscope_cache WHEN old.tags IS NOT new.tags
        BEGIN
          DELETE FROM go_goscope_cache_tags WHERE key = old.key;
          INSERT OR IGNORE INTO go_goscope_cache_tags(tag, key) SELECT value, new.key FROM json_each(new.tags);
        END;
        CREATE TRIGGER IF NOT EXISTS go_goscope_cache_tags_delete AFTER DELETE ON go_goscope_cache WHEN old.tags IS NOT NULL
        BEGIN
          DELETE FROM go_goscope_cache_tags WHERE key = old.key;
        END;
        DELETE FROM go_goscope_cache_tags WHERE NOT EXISTS (
          SELECT 1 FROM go_goscope_cache c, json_each(c.tags) j WHERE c.key = go_goscope_cache_tags.key AND j.value = go_goscope_cache_tags.tag);
        INSERT OR IGNORE INTO go_goscope_cache_tags(tag, key)
          SELECT j.value, c.key FROM go_goscope_cache c, json_each(c.tags) j WHERE c.tags IS NOT NULL;
        """,
        ["go_goscope_cache_tags_insert", "go_goscope_cache_tags_update", "go_goscope_cache_tags_delete"]);


    // Every read tests liveness as expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > now: a
    // fail-safe row (fresh_until set) is expired for all of them once fresh_until passed, though kept until expires_at for GetOrSet's fail-safe
    // (ReadEntry). Sweeps and prune go by expires_at alone. The created_at test: a process of schema version 5 still
    // running after the migration overwrites a row without knowing fresh_until, but sets created_at to its now, past a
    // stale fresh_until, so its write counts by its own expires_at (over a fresh fail-safe row, it ends at the old
    // fresh_until at the latest).

    // ?1 key, ?2 now (ms)
    // No row: a miss. A NULL value (never stored: the column is NOT NULL): the entry expired. Column 1 is NULL unless
    // the entry slides; a hit on a sliding entry then renews it (CacheRefresh). The expiry test costs the same here
    // as in a WHERE clause, and tells an expired entry from a missing one without a second statement.
    public static readonly SqlStatement Get = new("SELECT CASE WHEN expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > ?2 THEN value END, sliding_ms FROM go_goscope_cache WHERE key = ?1"u8);

    // ?1 key, ?2 value, ?3 expires_at, ?4 now
    public static readonly SqlStatement Set = new("""
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = NULL, absolute_expires_at = NULL, tags = NULL, fresh_until = NULL
        """u8);

    // ?1 key, ?2 value, ?3 expires_at, ?4 now, ?5 sliding_ms, ?6 absolute_expires_at, ?7 tags, ?8 fresh_until
    public static readonly SqlStatement SetEntry = new("""
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at, sliding_ms, absolute_expires_at, tags, fresh_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = excluded.sliding_ms, absolute_expires_at = excluded.absolute_expires_at, tags = excluded.tags, fresh_until = excluded.fresh_until
        """u8);

    // ?1 key, ?2 now: a live entry, or a fail-safe one kept past its expiry (column 2 then at or before now), with what
    // GetOrSet needs to know about it: when it was stored and when it expires (NULL: never).
    public static readonly SqlStatement ReadEntry = new("""
        SELECT value, sliding_ms, created_at, CASE WHEN expires_at IS NULL THEN NULL WHEN fresh_until > created_at THEN fresh_until ELSE expires_at END
        FROM go_goscope_cache
        WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)
        """u8);

    // ?1 key, ?2 now: renews a live sliding entry (never past its absolute expiry); returns a row if the entry is live.
    public static readonly SqlStatement Refresh = new("""
        UPDATE go_goscope_cache SET expires_at = CASE WHEN sliding_ms IS NULL THEN expires_at
          ELSE min(?2 + sliding_ms, coalesce(absolute_expires_at, ?2 + sliding_ms)) END
        WHERE key = ?1 AND (expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > ?2) RETURNING 1
        """u8);

    public static readonly SqlStatement Add = new("""
        INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
          sliding_ms = NULL, absolute_expires_at = NULL, tags = NULL, fresh_until = NULL
        WHERE go_goscope_cache.expires_at IS NOT NULL
          AND iif(go_goscope_cache.fresh_until > go_goscope_cache.created_at, go_goscope_cache.fresh_until, go_goscope_cache.expires_at) <= excluded.created_at
        """u8);

    public static readonly SqlStatement Delete = new("DELETE FROM go_goscope_cache WHERE key = ?1 RETURNING expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > ?2"u8);

    public static readonly SqlStatement Has = new("SELECT 1 FROM go_goscope_cache WHERE key = ?1 AND (expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > ?2)"u8);

    // ?1 lo, ?2 hi, ?3 now, ?4 limit
    public static readonly SqlStatement Clear = new("DELETE FROM go_goscope_cache WHERE key >= ?1 AND key < ?2"u8);

    public static readonly SqlStatement Keys = new("SELECT key FROM go_goscope_cache WHERE key >= ?1 AND key < ?2 AND (expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > ?3)"u8);

    // INDEXED BY: the sweep must walk the expired rows, never the whole namespace (a planner choice without ANALYZE).
    public static readonly SqlStatement Sweep = new("""
        DELETE FROM go_goscope_cache WHERE rowid IN (
          SELECT rowid FROM go_goscope_cache INDEXED BY idx_cache_expires
          WHERE expires_at <= ?3 AND key >= ?1 AND key < ?2 LIMIT ?4)
        """u8);

    // ?1 lo, ?2 hi, ?3 tag: the entries of one namespace with the tag (their tag rows go with them, by trigger).
    public static readonly SqlStatement RemoveByTag = new("""
        DELETE FROM go_goscope_cache WHERE key IN (
          SELECT key FROM go_goscope_cache_tags WHERE tag = ?3 AND key >= ?1 AND key < ?2)
        """u8);

    // ?1 lo, ?2 hi, ?3 now: per tag of one namespace, its entries live and expired (BINARY order of the tag).
    public static readonly SqlStatement AdminTags = new("""
        SELECT t.tag, coalesce(sum(c.expires_at IS NULL OR iif(c.fresh_until > c.created_at, c.fresh_until, c.expires_at) > ?3), 0),
          coalesce(sum(c.expires_at IS NOT NULL AND iif(c.fresh_until > c.created_at, c.fresh_until, c.expires_at) <= ?3), 0)
        FROM go_goscope_cache_tags t JOIN go_goscope_cache c ON c.key = t.key
        WHERE t.key >= ?1 AND t.key < ?2 GROUP BY t.tag ORDER BY t.tag
        """u8);

    // Inspection, all by namespace range: ?1 lo, ?2 hi, ?3 now
    public static readonly SqlStatement AdminCounts = new("""
        SELECT count(*), coalesce(sum(expires_at IS NOT NULL AND iif(fresh_until > created_at, fresh_until, expires_at) <= ?3), 0) FROM go_goscope_cache WHERE key >= ?1 AND key < ?2
        """u8);
}
