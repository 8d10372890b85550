using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace NativeAotPersistence.PostgreSql;

/// <summary>Typed, positional (<c>$n</c>) parameters and column readers: no boxing of keys or payloads.</summary>
internal static class PgCommands
{
    public static NpgsqlCommand Command(this NpgsqlConnection connection, string sql) => new(sql, connection);

    /// <summary>Adds a stored key: the UTF-8 bytes of <c>{prefix}{kind}:{key}</c>.</summary>
    public static NpgsqlCommand Key(this NpgsqlCommand command, KeyNamespace ns, string key)
    {
        command.Parameters.Key(ns, key);
        return command;
    }

    public static NpgsqlCommand Bytes(this NpgsqlCommand command, byte[] value)
    {
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea });
        return command;
    }

    /// <summary>Adds an owner or other caller text as UTF-8 bytes (text columns cannot hold U+0000).</summary>
    public static NpgsqlCommand Utf8(this NpgsqlCommand command, string text) => command.Bytes(Encoding.UTF8.GetBytes(text));

    /// <summary>Adds text, or NULL.</summary>
    public static NpgsqlCommand NullableText(this NpgsqlCommand command, string? value)
    {
        command.Parameters.NullableText(value);
        return command;
    }

    public static NpgsqlCommand Text(this NpgsqlCommand command, string value)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text });
        return command;
    }

    /// <summary>Adds UTF-8 JSON bytes as <c>text</c>: Npgsql sends them as they are, with no string in between.</summary>
    public static NpgsqlCommand Json(this NpgsqlCommand command, ReadOnlyMemory<byte> utf8)
    {
        command.Parameters.Json(utf8);
        return command;
    }

    public static NpgsqlCommand Int64(this NpgsqlCommand command, long value)
    {
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bigint });
        return command;
    }

    public static NpgsqlCommand Int64(this NpgsqlCommand command, long? value)
    {
        command.Parameters.Int64(value);
        return command;
    }

    // The same parameters on a batch command's collection (SetManyAsync's upserts).
    public static NpgsqlParameterCollection Key(this NpgsqlParameterCollection parameters, KeyNamespace ns, string key)
    {
        parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Encode(ns.Utf8, key), NpgsqlDbType = NpgsqlDbType.Bytea });
        return parameters;
    }

    public static NpgsqlParameterCollection Json(this NpgsqlParameterCollection parameters, ReadOnlyMemory<byte> utf8)
    {
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = utf8, NpgsqlDbType = NpgsqlDbType.Text });
        return parameters;
    }

    public static NpgsqlParameterCollection Int64(this NpgsqlParameterCollection parameters, long? value)
    {
        parameters.Add(value is { } v
            ? new NpgsqlParameter<long> { TypedValue = v, NpgsqlDbType = NpgsqlDbType.Bigint }
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        return parameters;
    }

    public static NpgsqlParameterCollection NullableText(this NpgsqlParameterCollection parameters, string? value)
    {
        parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return parameters;
    }

    /// <summary>Adds the byte range of every stored key that starts with the namespace and <paramref name="literal"/>.</summary>
    public static NpgsqlCommand Range(this NpgsqlCommand command, KeyNamespace ns, ReadOnlySpan<char> literal = default)
    {
        if (literal.IsEmpty)
        {
            return command.Bytes(ns.Utf8.ToArray()).Bytes(ns.Utf8UpperBound.ToArray());
        }

        var low = Encode(ns.Utf8, literal);

        // Every string that starts with `low` sorts before `low` with its last byte incremented (UTF-8 has no 0xFF byte).
        var high = (byte[])low.Clone();
        high[^1]++;
        return command.Bytes(low).Bytes(high);
    }

    public static byte[] Encode(ReadOnlySpan<byte> prefix, ReadOnlySpan<char> text)
    {
        var bytes = new byte[prefix.Length + Encoding.UTF8.GetByteCount(text)];
        prefix.CopyTo(bytes);
        Encoding.UTF8.GetBytes(text, bytes.AsSpan(prefix.Length));
        return bytes;
    }

    /// <summary>A stored key's text after <paramref name="skipBytes"/> bytes (its namespace).</summary>
    public static string ReadKey(this NpgsqlDataReader reader, int column, int skipBytes)
    {
        var bytes = reader.GetFieldValue<byte[]>(column);
        return Encoding.UTF8.GetString(bytes, skipBytes, bytes.Length - skipBytes);
    }

    public static string ReadUtf8(this NpgsqlDataReader reader, int column) => Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(column));

    public static long? ReadNullableInt64(this NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetInt64(column);

    public static string? ReadNullableText(this NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    /// <summary>Reads a stored time column (Unix milliseconds); a value out of range is a <see cref="PersistenceErrorKind.Corrupt"/> error.</summary>
    public static DateTimeOffset ReadTime(this NpgsqlDataReader reader, int column, string table, string key, string operation, string dataSource) =>
        Ttl.FromStoredMs(reader.GetInt64(column), table, reader.GetName(column), key, operation, dataSource);

    /// <summary>Reads a nullable stored time column; a value out of range is a <see cref="PersistenceErrorKind.Corrupt"/> error.</summary>
    public static DateTimeOffset? ReadNullableTime(this NpgsqlDataReader reader, int column, string table, string key, string operation, string dataSource) =>
        reader.IsDBNull(column) ? null : reader.ReadTime(column, table, key, operation, dataSource);

    /// <summary>Reads a stored payload; a value that does not parse is a <see cref="PayloadFormatException"/>.</summary>
    public static T ReadPayload<T>(this NpgsqlDataReader reader, int column, PayloadTypeInfo<T> typeInfo, string key, string operation, string dataSource)
    {
        var utf8 = reader.GetFieldValue<byte[]>(column);
        try
        {
            return typeInfo.Deserialize(utf8);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw PayloadErrors.Format(e, key, typeof(T), operation, dataSource);
        }
    }
}
