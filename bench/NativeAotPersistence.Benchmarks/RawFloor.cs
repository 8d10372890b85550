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

        // The library's own table, indexes, triggers and statements (src/Runtime/Cache/SqliteCacheSql.cs), their names
        // swapped for the floor's: both do the same SQLite work per row, and a change to the library's SQL changes the
        // floor's with it. The get tests the fail-safe column and returns the sliding window; the set clears the columns
        // a set with a TTL does not use; every upsert runs the tags' triggers' WHEN tests (SQLite runs a trigger's WHEN
        // inside its sub-program).
        Exec(Floor(SqliteCacheSql.Table.Create));
        Exec(Floor(SqliteCacheSql.TagsTable.Create));
        Check(sqlite3_prepare_v3(_db, Floor(Encoding.UTF8.GetString(SqliteCacheSql.Get.Utf8)), SQLITE_PREPARE_PERSISTENT, out _get));
        Check(sqlite3_prepare_v3(_db, Floor(Encoding.UTF8.GetString(SqliteCacheSql.Set.Utf8)), SQLITE_PREPARE_PERSISTENT, out _set));
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

    /// <summary>The library's SQL on the floor's tables: go_goscope_cache becomes floor_cache (its index, tags table and triggers too).</summary>
    private static string Floor(string librarySql) =>
        librarySql.Replace("go_goscope_cache", "floor_cache", StringComparison.Ordinal).Replace("idx_cache_", "idx_floor_cache_", StringComparison.Ordinal);

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
