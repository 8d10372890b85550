using System.Text;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// The floor: the least code doing the same SQL — one NOMUTEX connection, statements prepared once (persistent), key
/// and JSON bound as UTF-8 spans, the value read straight from the column span with the same generated serializer.
/// </summary>
internal sealed class RawFloor<T> : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _get;
    private readonly sqlite3_stmt _set;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly PayloadTypeInfo<T> _info;
    private readonly ArrayBufferWriterLite _buffer = new();
    private readonly System.Text.Json.Utf8JsonWriter _writer;
    private byte[] _key = new byte[64];

    public RawFloor(string path, PayloadTypeInfo<T> info, bool exclusive = false)
    {
        Batteries_V2.Init();
        _info = info;
        Check(sqlite3_open_v2(path, out _db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, null));
        if (exclusive)
        {
            Exec("PRAGMA locking_mode=EXCLUSIVE");
        }

        if (path != ":memory:")
        {
            Exec("PRAGMA journal_mode=WAL");
            Exec("PRAGMA synchronous=NORMAL");
        }

        // The same table, indexes, triggers and statements as the library's go_goscope_cache (src/Runtime/Cache/SqliteCacheSql.cs),
        // so both do the same work per row: the get tests the fail-safe column and returns the sliding window, the set
        // clears the columns a set with a TTL does not use.
        Exec("""
            CREATE TABLE IF NOT EXISTS floor_cache(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER, created_at INTEGER,
              sliding_ms INTEGER, absolute_expires_at INTEGER, tags TEXT, fresh_until INTEGER)
            """);
        Exec("CREATE INDEX IF NOT EXISTS idx_floor_expires ON floor_cache(expires_at)");

        // The tags' index and the triggers that keep it (SqliteCacheSql.TagsTable): part of the schema, so every write of
        // the floor runs their WHEN tests as the library's do (SQLite runs a trigger's WHEN inside its sub-program).
        Exec("""
            CREATE TABLE IF NOT EXISTS floor_cache_tags (tag TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (tag, key)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS idx_floor_cache_tags_key ON floor_cache_tags(key);
            CREATE TRIGGER IF NOT EXISTS floor_cache_tags_insert AFTER INSERT ON floor_cache WHEN new.tags IS NOT NULL
            BEGIN
              INSERT OR IGNORE INTO floor_cache_tags(tag, key) SELECT value, new.key FROM json_each(new.tags);
            END;
            CREATE TRIGGER IF NOT EXISTS floor_cache_tags_update AFTER UPDATE OF tags ON floor_cache WHEN old.tags IS NOT new.tags
            BEGIN
              DELETE FROM floor_cache_tags WHERE key = old.key;
              INSERT OR IGNORE INTO floor_cache_tags(tag, key) SELECT value, new.key FROM json_each(new.tags);
            END;
            CREATE TRIGGER IF NOT EXISTS floor_cache_tags_delete AFTER DELETE ON floor_cache WHEN old.tags IS NOT NULL
            BEGIN
              DELETE FROM floor_cache_tags WHERE key = old.key;
            END;
            """);
        Check(sqlite3_prepare_v3(_db, "SELECT CASE WHEN expires_at IS NULL OR iif(fresh_until > created_at, fresh_until, expires_at) > ?2 THEN value END, sliding_ms FROM floor_cache WHERE key = ?1"u8, SQLITE_PREPARE_PERSISTENT, out _get));
        Check(sqlite3_prepare_v3(_db, """
            INSERT INTO floor_cache(key, value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
              sliding_ms = NULL, absolute_expires_at = NULL, tags = NULL, fresh_until = NULL
            """u8, SQLITE_PREPARE_PERSISTENT, out _set));
        Check(sqlite3_prepare_v3(_db, "BEGIN IMMEDIATE"u8, SQLITE_PREPARE_PERSISTENT, out _begin));
        Check(sqlite3_prepare_v3(_db, "COMMIT"u8, SQLITE_PREPARE_PERSISTENT, out _commit));
        _writer = new System.Text.Json.Utf8JsonWriter(_buffer);
    }

    /// <summary>
    /// Gets the entry of a caller's string key, as the library's GetAsync takes it: the key is encoded each call (the
    /// namespace prefix and the key's UTF-8 bytes into a buffer the floor owns, nothing allocated).
    /// </summary>
    public T? Get(string key, long now) => Get(Encode(key), now);

    /// <summary>Stores under a caller's string key, encoded each call as in <see cref="Get(string, long)"/>.</summary>
    public void Set(string key, T value, long now) => Set(Encode(key), value, now);

    private ReadOnlySpan<byte> Encode(string key)
    {
        var prefix = "cache:"u8;
        var needed = prefix.Length + Encoding.UTF8.GetMaxByteCount(key.Length);
        if (_key.Length < needed)
        {
            _key = new byte[Math.Max(needed, _key.Length * 2)];
        }

        prefix.CopyTo(_key);
        return _key.AsSpan(0, prefix.Length + Encoding.UTF8.GetBytes(key, _key.AsSpan(prefix.Length)));
    }

    public T? Get(ReadOnlySpan<byte> key, long now)
    {
        sqlite3_bind_text(_get, 1, key);
        sqlite3_bind_int64(_get, 2, now);
        try
        {
            return sqlite3_step(_get) == SQLITE_ROW && sqlite3_column_type(_get, 0) != SQLITE_NULL ? _info.Deserialize(sqlite3_column_blob(_get, 0)) : default;
        }
        finally
        {
            sqlite3_reset(_get);
        }
    }

    /// <summary>Stores every entry in one transaction, each string key encoded as <see cref="Set(string, T, long)"/> does.</summary>
    public void SetBatch(ReadOnlySpan<string> keys, T value, long now)
    {
        Step(_begin);
        foreach (var key in keys)
        {
            Set(Encode(key), value, now);
        }

        Step(_commit);
    }

    /// <summary>Stores every entry in one transaction (BEGIN IMMEDIATE ... COMMIT): the floor of a batched load.</summary>
    public void SetBatch(ReadOnlySpan<byte[]> keys, T value, long now)
    {
        Step(_begin);
        foreach (var key in keys)
        {
            Set(key, value, now);
        }

        Step(_commit);
    }

    public void Set(ReadOnlySpan<byte> key, T value, long now)
    {
        _buffer.Clear();
        _writer.Reset(_buffer);
        _info.Write(_writer, value);
        _writer.Flush();
        sqlite3_bind_text(_set, 1, key);
        sqlite3_bind_text(_set, 2, _buffer.WrittenSpan);
        sqlite3_bind_null(_set, 3);
        sqlite3_bind_int64(_set, 4, now);
        try
        {
            Check(sqlite3_step(_set) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR);
        }
        finally
        {
            sqlite3_reset(_set);
        }
    }

    public void Clear() => Exec("DELETE FROM floor_cache");

    /// <summary>Runs a script on the floor's connection (an experiment's extra schema).</summary>
    public void Script(string sql) => Exec(sql);

    /// <summary>Every CREATE statement of a database file (tables, indexes, triggers), in creation order.</summary>
    public static List<string> SchemaOf(string path)
    {
        Check(sqlite3_open_v2(path, out var db, SQLITE_OPEN_READONLY, null));
        var result = new List<string>();
        Check(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid", out var statement));
        while (sqlite3_step(statement) == SQLITE_ROW)
        {
            result.Add(sqlite3_column_text(statement, 0).utf8_to_string());
        }

        statement.Dispose();
        sqlite3_close_v2(db);
        return result;
    }

    public void Dispose()
    {
        _get.Dispose();
        _set.Dispose();
        _begin.Dispose();
        _commit.Dispose();
        sqlite3_close_v2(_db);
        _db.Dispose();
        _writer.Dispose();
    }

    private void Exec(string sql) => Check(sqlite3_exec(_db, sql));

    private static void Step(sqlite3_stmt statement)
    {
        var rc = sqlite3_step(statement);
        sqlite3_reset(statement);
        Check(rc == SQLITE_DONE ? SQLITE_OK : rc);
    }

    private static void Check(int rc)
    {
        if (rc != SQLITE_OK)
        {
            throw new InvalidOperationException("SQLite error " + rc);
        }
    }

    public static byte[] Key(string key) => Encoding.UTF8.GetBytes(key);
}

/// <summary>A reusable byte buffer (ArrayBufferWriter without its clearing cost).</summary>
internal sealed class ArrayBufferWriterLite : System.Buffers.IBufferWriter<byte>
{
    private byte[] _buffer = new byte[4096];
    private int _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Clear() => _written = 0;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Grow(int sizeHint)
    {
        if (_buffer.Length - _written < Math.Max(sizeHint, 1))
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _written + sizeHint));
        }
    }
}
