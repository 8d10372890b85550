using System.Text.Json;
using System.Text.Json.Serialization;

namespace NativeAotPersistence.Payloads;

public static partial class PayloadJson
{
    /// <summary>How deep a generated serializer writes before it refuses, as <see cref="JsonSerializer"/> does (64).</summary>
    public const int MaxDepth = PayloadBuffer.MaxDepth;

    // The options passed to System.Text.Json's built-in converters (JsonMetadataServices.*Converter) for the types whose wire
    // format is theirs (char, DateOnly, Uri, JsonElement...): the defaults with strict numbers. Never handed out, so never changed.
    private static readonly JsonSerializerOptions ConverterOptions = new() { NumberHandling = JsonNumberHandling.Strict };

    /// <summary>
    /// The key a generated <c>GetTypeInfo</c> dispatches on: the type's simple name, with its type arguments' keys for a
    /// generic type (<c>List`1&lt;Order&gt;</c>) and <c>[]</c> for an array. It names no namespace, so types that share a
    /// key are told apart by the generated code; computing it loads no other type.
    /// </summary>
    /// <param name="type">The type asked for.</param>
    /// <returns>The key.</returns>
    public static string TypeKey(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.IsArray)
        {
            return TypeKey(type.GetElementType()!) + "[]";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var arguments = type.GenericTypeArguments;
        var builder = new System.Text.StringBuilder(type.Name).Append('<');
        for (var i = 0; i < arguments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(TypeKey(arguments[i]));
        }

        return builder.Append('>').ToString();
    }

    /// <summary>
    /// Finds <paramref name="key"/> among sorted keys stored as one string: key <c>i</c> is
    /// <c>keys[starts[i]..starts[i + 1]]</c>, in ordinal order. Used by a generated <c>GetTypeInfo</c>.
    /// </summary>
    /// <param name="keys">The keys, concatenated in ordinal order.</param>
    /// <param name="starts">Where each key starts, and where the last one ends.</param>
    /// <param name="key">The key to find (<see cref="TypeKey"/>).</param>
    /// <returns>The key's index, or -1.</returns>
    public static int FindTypeKey(string keys, ReadOnlySpan<int> starts, string key)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(key);
        int low = 0, high = starts.Length - 2;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = key.AsSpan().SequenceCompareTo(keys.AsSpan(starts[middle], starts[middle + 1] - starts[middle]));
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                high = middle - 1;
            }
            else
            {
                low = middle + 1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Creates the <see cref="JsonException"/> <see cref="JsonSerializer"/> throws for a value that would be written deeper
    /// than <see cref="MaxDepth"/> levels (or a cycle).
    /// </summary>
    /// <param name="typeName">The C# name of the type being written.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException TooDeep(string typeName) => new(
        $"A value of '{typeName}' nests deeper than the maximum depth of {MaxDepth} (or holds a cycle): it could not be read back, so it is not written.");

    /// <summary>Writes <paramref name="value"/> with one of System.Text.Json's built-in converters.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="writer">The writer.</param>
    /// <param name="converter">The converter, such as <c>JsonMetadataServices.DateOnlyConverter</c>.</param>
    /// <param name="value">The value; <see langword="null"/> is written as <c>null</c>.</param>
    public static void WriteWith<T>(Utf8JsonWriter writer, JsonConverter<T> converter, T value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(converter);
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        converter.Write(writer, value, ConverterOptions);
    }

    /// <summary>Reads a value with one of System.Text.Json's built-in converters; a JSON <c>null</c> is <see langword="null"/> for reference types.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="reader">The reader, positioned on the value.</param>
    /// <param name="converter">The converter.</param>
    /// <param name="typeName">The C# name of the type, for the error message.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The JSON is not a valid <typeparamref name="T"/>.</exception>
    public static T ReadWith<T>(ref Utf8JsonReader reader, JsonConverter<T> converter, string typeName)
    {
        ArgumentNullException.ThrowIfNull(converter);
        if (reader.TokenType == JsonTokenType.Null && default(T) is null && !converter.HandleNull)
        {
            return default!;
        }

        try
        {
            return converter.Read(ref reader, typeof(T), ConverterOptions)!;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new JsonException($"Cannot read '{typeName}': {e.Message}", "$", null, null, e);
        }
    }

    /// <summary>Writes a dictionary key with a built-in converter, as System.Text.Json writes non-string keys.</summary>
    /// <typeparam name="T">The key type.</typeparam>
    /// <param name="writer">The writer.</param>
    /// <param name="converter">The converter.</param>
    /// <param name="key">The key.</param>
    public static void WriteKeyWith<T>(Utf8JsonWriter writer, JsonConverter<T> converter, T key)
    {
        ArgumentNullException.ThrowIfNull(converter);
        converter.WriteAsPropertyName(writer, key!, ConverterOptions);
    }

    /// <summary>Reads a dictionary key with a built-in converter; the reader is on the property name.</summary>
    /// <typeparam name="T">The key type.</typeparam>
    /// <param name="reader">The reader, positioned on a property name.</param>
    /// <param name="converter">The converter.</param>
    /// <param name="typeName">The C# name of the key type, for the error message.</param>
    /// <returns>The key.</returns>
    /// <exception cref="JsonException">The property name is not a valid <typeparamref name="T"/>.</exception>
    public static T ReadKeyWith<T>(ref Utf8JsonReader reader, JsonConverter<T> converter, string typeName)
    {
        ArgumentNullException.ThrowIfNull(converter);
        try
        {
            return converter.ReadAsPropertyName(ref reader, typeof(T), ConverterOptions);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new JsonException($"Cannot read a '{typeName}' dictionary key: {e.Message}", "$", null, null, e);
        }
    }

    /// <summary>
    /// Creates the exception <see cref="JsonSerializer"/> throws for a JSON property that no member maps to, on a type marked
    /// <c>[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]</c>.
    /// </summary>
    /// <param name="typeName">The C# name of the type being read.</param>
    /// <param name="utf8Name">The unescaped JSON property name.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException UnmappedProperty(string typeName, ReadOnlySpan<byte> utf8Name) => new(
        $"Cannot read '{typeName}': the JSON property '{System.Text.Encoding.UTF8.GetString(utf8Name)}' could not be mapped to any of its members, and the type disallows unmapped members.",
        "$",
        null,
        null);

    /// <summary>
    /// Creates the exception for a payload type the generator refused at compile time with an error that was suppressed:
    /// the type is neither written nor read, rather than stored without the members the error was about.
    /// </summary>
    /// <param name="typeName">The C# name of the type.</param>
    /// <param name="reason">The diagnostic id and message the generator reported.</param>
    /// <returns>The exception to throw.</returns>
    public static NotSupportedException Refused(string typeName, string reason) => new(
        $"The payload type '{typeName}' cannot be serialized: the payload generator refused it at compile time with {reason}. " +
        "The error was suppressed, so the type is neither written nor read; fix what the diagnostic says instead of suppressing it.");
}
