using System.Globalization;
using System.Text.Json;

namespace NativeAotPersistence.Payloads;

public static partial class PayloadJson
{
    /// <summary>Creates the exception for a JSON token of the wrong type.</summary>
    /// <param name="found">The token the reader is on.</param>
    /// <param name="expected">The expected token, such as <c>Number</c> or <c>StartObject</c>.</param>
    /// <param name="typeName">The C# name of the type being read.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException InvalidToken(JsonTokenType found, string expected, string typeName)
    {
        return new JsonException($"Cannot read '{typeName}': expected a JSON {expected} token but found {found}.", "$", null, null);
    }

    /// <summary>Creates the exception for a JSON string that is not a valid value of the type.</summary>
    /// <param name="typeName">The C# name of the type being read.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException InvalidFormat(string typeName)
    {
        return new JsonException($"Cannot read '{typeName}': the JSON string is not in a supported format.", "$", null, null);
    }

    /// <summary>Creates the exception for a JSON number that does not fit the type.</summary>
    /// <param name="typeName">The C# name of the type being read.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException NumberOutOfRange(string typeName)
    {
        return new JsonException($"Cannot read '{typeName}': the JSON number is out of range or not an integer where one is required.", "$", null, null);
    }

    /// <summary>Creates the exception for an enum name that the enum does not declare.</summary>
    /// <param name="typeName">The C# name of the enum.</param>
    /// <param name="value">The JSON string.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException UnknownEnumValue(string typeName, string? value)
    {
        return new JsonException($"Cannot read '{typeName}': '{value}' is not a declared name of the enum.", "$", null, null);
    }

    /// <summary>Creates the exception for required JSON properties that are missing.</summary>
    /// <param name="typeName">The C# name of the type being read.</param>
    /// <param name="jsonNames">The JSON names of the required properties, <see langword="null"/> for those that were present.</param>
    /// <returns>The exception to throw.</returns>
    public static JsonException MissingRequired(string typeName, params string?[] jsonNames)
    {
        ArgumentNullException.ThrowIfNull(jsonNames);
        var missing = string.Join(", ", jsonNames.Where(static n => n is not null).Select(static n => "'" + n + "'"));
        return new JsonException($"Cannot read '{typeName}': the JSON object is missing required properties: {missing}.", "$", null, null);
    }

    /// <summary>Prefixes the JSON path of <paramref name="inner"/> with a property of <paramref name="typeName"/>.</summary>
    /// <param name="inner">The exception thrown while reading the property's value.</param>
    /// <param name="typeName">The C# name of the type whose property was being read.</param>
    /// <param name="propertyName">The JSON property name, or <see langword="null"/> when no property was being read.</param>
    /// <returns>The exception to throw instead.</returns>
    public static JsonException AddPath(JsonException inner, string typeName, string? propertyName)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (propertyName is null)
        {
            return Rewrap(inner, typeName, "");
        }

        var segment = IsPlainName(propertyName) ? "." + propertyName : "['" + propertyName.Replace("'", "\\'", StringComparison.Ordinal) + "']";
        return Rewrap(inner, typeName, segment);
    }

    /// <summary>Prefixes the JSON path of <paramref name="inner"/> with an array index.</summary>
    /// <param name="inner">The exception thrown while reading the element.</param>
    /// <param name="typeName">The C# name of the collection type.</param>
    /// <param name="index">The index of the element.</param>
    /// <returns>The exception to throw instead.</returns>
    public static JsonException AddPath(JsonException inner, string typeName, int index)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return Rewrap(inner, typeName, "[" + index.ToString(CultureInfo.InvariantCulture) + "]");
    }

    private static PayloadPathException Rewrap(JsonException inner, string typeName, string segment)
    {
        var root = inner is PayloadPathException pathed ? pathed.Root : inner;
        var innerPath = inner is PayloadPathException p ? p.Path! : "$";
        var path = "$" + segment + innerPath[1..];
        return new PayloadPathException(root, typeName, path);
    }

    private static bool IsPlainName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '$'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A <see cref="JsonException"/> whose message names the outermost payload type and the full JSON path.</summary>
    private sealed class PayloadPathException(JsonException root, string typeName, string path)
        : JsonException($"{root.Message} Path: {path} (reading '{typeName}').", path, root.LineNumber, root.BytePositionInLine, root)
    {
        public JsonException Root { get; } = root;
    }
}
