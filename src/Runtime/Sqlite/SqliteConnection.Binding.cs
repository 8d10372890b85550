using System.Text;
using System.Text.Json;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// Binding and reading helpers. Keys and payloads are encoded into buffers this connection owns (it is used by one
/// caller at a time), and bound as UTF-8 spans that SQLite copies: no intermediate string, no allocation once warm.
/// </summary>
internal sealed partial class SqliteConnection
{
    private const int MaxRetainedKeyBuffer = 64 * 1024;
    private readonly byte[][] _keyBuffers = [new byte[256], new byte[256]];

    /// <summary>The buffer payloads are serialized into before binding.</summary>
    public PayloadBuffer Payload { get; } = new();

    /// <summary>Binds <c>{namespace}{key}</c> as UTF-8 text. Two slots, for statements that bind two keys.</summary>
    public void BindKey(sqlite3_stmt statement, int index, KeyNamespace ns, string key, string operation, int slot = 0) =>
        Check(Sqlite3.BindText(statement, index, Encode(ns.Utf8, key, slot)), operation);

    /// <summary>Binds ?1 and ?2 to the byte range of every stored key that starts with namespace + <paramref name="literal"/>.</summary>
    public void BindRange(sqlite3_stmt statement, KeyNamespace ns, ReadOnlySpan<char> literal, string operation)
    {
        if (literal.IsEmpty)
        {
            Check(Sqlite3.BindText(statement, 1, ns.Utf8), operation);
            Check(Sqlite3.BindText(statement, 2, ns.Utf8UpperBound), operation);
            return;
        }

        var low = Encode(ns.Utf8, literal, 0);
        Check(Sqlite3.BindText(statement, 1, low), operation);

        // Every string that starts with `low` sorts before `low` with its last byte incremented (UTF-8 has no 0xFF byte).
        var high = _keyBuffers[1].Length >= low.Length ? _keyBuffers[1] : (_keyBuffers[1] = new byte[low.Length]);
        low.CopyTo(high);
        high[low.Length - 1]++;
        Check(Sqlite3.BindText(statement, 2, high.AsSpan(0, low.Length)), operation);
    }

    public void BindInt64(sqlite3_stmt statement, int index, long value, string operation) =>
        Check(Sqlite3.BindInt64(statement, index, value), operation);

    public void BindInt64(sqlite3_stmt statement, int index, long? value, string operation) =>
        Check(value is { } v ? Sqlite3.BindInt64(statement, index, v) : Sqlite3.BindNull(statement, index), operation);

    public void BindText(sqlite3_stmt statement, int index, ReadOnlySpan<byte> utf8, string operation) =>
        Check(Sqlite3.BindText(statement, index, utf8), operation);

    public void BindText(sqlite3_stmt statement, int index, string text, string operation) =>
        Check(Sqlite3.BindText(statement, index, Encode([], text, 0)), operation);

    /// <summary>
    /// Serializes <paramref name="value"/> into <see cref="Payload"/> and binds it as UTF-8 JSON text. A value that could
    /// not be read back (too deep, NaN) is an <see cref="ArgumentException"/> naming <paramref name="key"/>.
    /// </summary>
    /// <remarks>
    /// SQLite binds a copy (<c>SQLITE_TRANSIENT</c>), so the buffer is cleared as soon as the value is bound: a payload
    /// larger than <see cref="PayloadBuffer.MaxRetainedSize"/> goes back to the array pool now, not at this connection's
    /// next write (which may never come).
    /// </remarks>
    public void BindPayload<T>(sqlite3_stmt statement, int index, PayloadTypeInfo<T> typeInfo, T value, string operation, string key)
    {
        var buffer = Payload;
        try
        {
            try
            {
                typeInfo.WriteChecked(buffer.Writer, value);
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                throw PayloadErrors.Unwritable(e, key, typeof(T));
            }

            buffer.Writer.Flush();
            _payloadBound = true;
            Check(Sqlite3.BindText(statement, index, buffer.WrittenSpan), operation);
        }
        finally
        {
            buffer.Clear();
        }
    }

    public void ReleaseBuffers()
    {
        Payload.Clear();
        for (var i = 0; i < _keyBuffers.Length; i++)
        {
            if (_keyBuffers[i].Length > MaxRetainedKeyBuffer)
            {
                _keyBuffers[i] = new byte[256];
            }
        }
    }

    /// <summary>Reads a stored payload column; a value that does not parse is a <see cref="PayloadFormatException"/>.</summary>
    public T ReadPayload<T>(sqlite3_stmt statement, int column, PayloadTypeInfo<T> typeInfo, string key, string operation) =>
        ReadPayload(sqlite3_column_blob(statement, column), typeInfo, key, operation);

    /// <summary>Parses payload bytes already read from a column; a value that does not parse is a <see cref="PayloadFormatException"/>.</summary>
    public T ReadPayload<T>(ReadOnlySpan<byte> utf8, PayloadTypeInfo<T> typeInfo, string key, string operation)
    {
        try
        {
            return typeInfo.Deserialize(utf8);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw PayloadErrors.Format(e, key, typeof(T), operation, DataSource);
        }
    }

    /// <summary>Binds text, or NULL.</summary>
    public void BindNullableText(sqlite3_stmt statement, int index, string? text, string operation) =>
        Check(text is null ? Sqlite3.BindNull(statement, index) : Sqlite3.BindText(statement, index, Encode([], text, 0)), operation);

    /// <summary>Reads a stored time column (Unix milliseconds); a value out of range is a <see cref="PersistenceErrorKind.Corrupt"/> error.</summary>
    public DateTimeOffset ReadTime(sqlite3_stmt statement, int column, string table, string key, string operation) =>
        Ttl.FromStoredMs(Sqlite3.ColumnInt64(statement, column), table, ColumnName(statement, column), key, operation, DataSource);

    /// <summary>Reads a nullable stored time column; a value out of range is a <see cref="PersistenceErrorKind.Corrupt"/> error.</summary>
    public DateTimeOffset? ReadNullableTime(sqlite3_stmt statement, int column, string table, string key, string operation) =>
        Sqlite3.ColumnType(statement, column) == SQLITE_NULL ? null : ReadTime(statement, column, table, key, operation);

    private static string ColumnName(sqlite3_stmt statement, int column) => sqlite3_column_name(statement, column).utf8_to_string() ?? $"column {column}";

    public static string? ReadNullableText(sqlite3_stmt statement, int column) =>
        Sqlite3.ColumnType(statement, column) == SQLITE_NULL ? null : ReadText(statement, column);

    public static long? ReadNullableInt64(sqlite3_stmt statement, int column) =>
        Sqlite3.ColumnType(statement, column) == SQLITE_NULL ? null : Sqlite3.ColumnInt64(statement, column);

    public static string ReadText(sqlite3_stmt statement, int column, int skipBytes = 0) =>
        Encoding.UTF8.GetString(sqlite3_column_blob(statement, column)[skipBytes..]);

    private ReadOnlySpan<byte> Encode(ReadOnlySpan<byte> prefix, ReadOnlySpan<char> text, int slot)
    {
        var needed = prefix.Length + Encoding.UTF8.GetMaxByteCount(text.Length);
        var buffer = _keyBuffers[slot];
        if (buffer.Length < needed)
        {
            needed = prefix.Length + Encoding.UTF8.GetByteCount(text);
            if (buffer.Length < needed)
            {
                buffer = _keyBuffers[slot] = new byte[Math.Max(needed, buffer.Length * 2)];
            }
        }

        prefix.CopyTo(buffer);

        // Utf8.FromUtf16 is what Encoding.UTF8.GetBytes runs, without its virtual calls; the same replacement of lone
        // surrogates (keys never have one: they are validated).
        System.Text.Unicode.Utf8.FromUtf16(text, buffer.AsSpan(prefix.Length), out _, out var written);
        return buffer.AsSpan(0, prefix.Length + written);
    }
}
