using System.Buffers;
using System.Buffers.Text;
using System.ComponentModel;
using System.Text.Json;

namespace NativeAotPersistence.Payloads;

/// <summary>
/// Reading and writing helpers for generated payload serializers and the built-in payload types. The wire format of
/// every helper equals System.Text.Json's default converters with <see cref="System.Text.Json.Serialization.JsonNumberHandling.Strict"/>.
/// Not meant to be called directly; the signatures may change with the generator.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class PayloadJson
{
    // "-10675199.02:48:05.4775808" is the longest TimeSpan in the "c" format; escaping can make it 6 times longer.
    private const int MaxTimeSpanLength = 26;
    private const int MaxEscapedTimeSpanLength = MaxTimeSpanLength * 6;

    /// <summary>Reads a JSON string or <c>null</c>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The string, or <see langword="null"/>.</returns>
    public static string? ReadString(ref Utf8JsonReader reader)
    {
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw InvalidToken(reader.TokenType, "String", "string"),
        };
    }

    /// <summary>Reads <c>true</c> or <c>false</c>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static bool ReadBoolean(ref Utf8JsonReader reader)
    {
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw InvalidToken(reader.TokenType, "Boolean", "bool"),
        };
    }

    /// <summary>Reads a JSON number as <see cref="byte"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static byte ReadByte(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "byte");
        return reader.TryGetByte(out var value) ? value : throw NumberOutOfRange("byte");
    }

    /// <summary>Reads a JSON number as <see cref="sbyte"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static sbyte ReadSByte(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "sbyte");
        return reader.TryGetSByte(out var value) ? value : throw NumberOutOfRange("sbyte");
    }

    /// <summary>Reads a JSON number as <see cref="short"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static short ReadInt16(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "short");
        return reader.TryGetInt16(out var value) ? value : throw NumberOutOfRange("short");
    }

    /// <summary>Reads a JSON number as <see cref="ushort"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static ushort ReadUInt16(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "ushort");
        return reader.TryGetUInt16(out var value) ? value : throw NumberOutOfRange("ushort");
    }

    /// <summary>Reads a JSON number as <see cref="int"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static int ReadInt32(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "int");
        return reader.TryGetInt32(out var value) ? value : throw NumberOutOfRange("int");
    }

    /// <summary>Reads a JSON number as <see cref="uint"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static uint ReadUInt32(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "uint");
        return reader.TryGetUInt32(out var value) ? value : throw NumberOutOfRange("uint");
    }

    /// <summary>Reads a JSON number as <see cref="long"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static long ReadInt64(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "long");
        return reader.TryGetInt64(out var value) ? value : throw NumberOutOfRange("long");
    }

    /// <summary>Reads a JSON number as <see cref="ulong"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static ulong ReadUInt64(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "ulong");
        return reader.TryGetUInt64(out var value) ? value : throw NumberOutOfRange("ulong");
    }

    /// <summary>Reads a JSON number as <see cref="float"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static float ReadSingle(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "float");
        return reader.TryGetSingle(out var value) ? value : throw NumberOutOfRange("float");
    }

    /// <summary>Reads a JSON number as <see cref="double"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static double ReadDouble(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "double");
        return reader.TryGetDouble(out var value) ? value : throw NumberOutOfRange("double");
    }

    /// <summary>Reads a JSON number as <see cref="decimal"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static decimal ReadDecimal(ref Utf8JsonReader reader)
    {
        ExpectNumber(ref reader, "decimal");
        return reader.TryGetDecimal(out var value) ? value : throw NumberOutOfRange("decimal");
    }

    /// <summary>Reads a JSON string as <see cref="Guid"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static Guid ReadGuid(ref Utf8JsonReader reader)
    {
        ExpectString(ref reader, "Guid");
        return reader.TryGetGuid(out var value) ? value : throw InvalidFormat("Guid");
    }

    /// <summary>Reads an ISO 8601 JSON string as <see cref="DateTime"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static DateTime ReadDateTime(ref Utf8JsonReader reader)
    {
        ExpectString(ref reader, "DateTime");
        return reader.TryGetDateTime(out var value) ? value : throw InvalidFormat("DateTime");
    }

    /// <summary>Reads an ISO 8601 JSON string as <see cref="DateTimeOffset"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static DateTimeOffset ReadDateTimeOffset(ref Utf8JsonReader reader)
    {
        ExpectString(ref reader, "DateTimeOffset");
        return reader.TryGetDateTimeOffset(out var value) ? value : throw InvalidFormat("DateTimeOffset");
    }

    /// <summary>Reads a JSON string in the constant (<c>"c"</c>) format as <see cref="TimeSpan"/>.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The value.</returns>
    public static TimeSpan ReadTimeSpan(ref Utf8JsonReader reader)
    {
        ExpectString(ref reader, "TimeSpan");
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length is < 1 or > MaxEscapedTimeSpanLength)
        {
            throw InvalidFormat("TimeSpan");
        }

        Span<byte> scratch = stackalloc byte[MaxEscapedTimeSpanLength];
        var written = reader.CopyString(scratch);
        ReadOnlySpan<byte> source = scratch[..written];

        // Utf8Parser accepts leading whitespace; System.Text.Json does not, so neither do we.
        if (source.IsEmpty || (!char.IsAsciiDigit((char)source[0]) && source[0] != (byte)'-') ||
            !Utf8Parser.TryParse(source, out TimeSpan value, out var consumed, 'c') || consumed != source.Length)
        {
            throw InvalidFormat("TimeSpan");
        }

        return value;
    }

    /// <summary>Reads a base64 JSON string or <c>null</c> as a byte array.</summary>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <returns>The bytes, or <see langword="null"/>.</returns>
    public static byte[]? ReadBytes(ref Utf8JsonReader reader)
    {
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.TryGetBytesFromBase64(out var value) ? value : throw InvalidFormat("byte[]"),
            JsonTokenType.Null => null,
            _ => throw InvalidToken(reader.TokenType, "String", "byte[]"),
        };
    }

    /// <summary>Writes a string, or <c>null</c>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteString(Utf8JsonWriter writer, string? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>Writes a byte array as a base64 string, or <c>null</c>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteBytes(Utf8JsonWriter writer, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteBase64StringValue(value);
        }
    }

    /// <summary>Writes a <see cref="TimeSpan"/> in the constant (<c>"c"</c>) format, as System.Text.Json does.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteTimeSpan(Utf8JsonWriter writer, TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> buffer = stackalloc byte[MaxTimeSpanLength];
        Utf8Formatter.TryFormat(value, buffer, out var written, 'c');
        writer.WriteStringValue(buffer[..written]);
    }

    /// <summary>
    /// Returns the current property name unescaped. Only called when the name is escaped or split across segments,
    /// which System.Text.Json's own writer never produces for ASCII names.
    /// </summary>
    /// <param name="reader">The reader, positioned on a property name.</param>
    /// <returns>The unescaped UTF-8 name.</returns>
    public static byte[] GetUnescapedName(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = reader.CopyString(rented);
            return rented.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void ExpectNumber(ref Utf8JsonReader reader, string typeName)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw InvalidToken(reader.TokenType, "Number", typeName);
        }
    }

    private static void ExpectString(ref Utf8JsonReader reader, string typeName)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw InvalidToken(reader.TokenType, "String", typeName);
        }
    }
}
