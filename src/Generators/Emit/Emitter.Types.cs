using System.Globalization;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Emit;

internal sealed partial class Emitter
{
    private void EmitNullable(TypeModel type)
    {
        var element = Type(type.ElementId!);
        _w.Line();
        _w.Open("private static void Write" + type.Id + "(" + Names.Writer + " writer, " + type.FullyQualifiedName + " value)");
        _w.Open("if (value.HasValue)");
        WriteValue(element, "value.GetValueOrDefault()");
        _w.Close();
        _w.Open("else");
        _w.Line("writer.WriteNullValue();");
        _w.Close();
        _w.Close();
        _w.Line();
        _w.Open("private static " + type.FullyQualifiedName + " Read" + type.Id + "(ref " + Names.Reader + " reader)");
        _w.Line("return reader.TokenType == " + Names.TokenType + ".Null ? null : " + ReadExpression(element) + ";");
        _w.Close();
    }

    private void EmitEnum(TypeModel type)
    {
        var model = type.Enum!;
        var fqn = type.FullyQualifiedName;
        var underlyingRead = Names.Helpers + ".Read" + UnderlyingReader(model.UnderlyingType) + "(ref reader)";
        _w.Line();
        _w.Open("private static void Write" + type.Id + "(" + Names.Writer + " writer, " + fqn + " value)");
        if (!_model.EnumsAsNumbers)
        {
            _w.Open("switch (value)");
            for (var i = 0; i < model.Members.Count; i++)
            {
                var member = model.Members[i];
                if (member.IsWritten)
                {
                    _w.Line("case (" + fqn + ")(" + member.Value + "): writer.WriteStringValue(" + EnumName(type, i) + "); return;");
                }
            }

            _w.Close();
            if (model.IsFlags)
            {
                // Combinations are written as "A, B", as System.Text.Json does; values with no name stay numbers.
                _w.Line("string __text = value.ToString();");
                _w.Open("if (__text.Length > 0 && !char.IsDigit(__text[0]) && __text[0] != '-')");
                _w.Line("writer.WriteStringValue(__text);");
                _w.Line("return;");
                _w.Close();
            }
        }

        _w.Line("writer.WriteNumberValue((" + model.UnderlyingType + ")value);");
        _w.Close();

        _w.Line();
        _w.Open("private static " + fqn + " Read" + type.Id + "(ref " + Names.Reader + " reader)");
        if (_model.EnumsAsNumbers)
        {
            _w.Line("return (" + fqn + ")" + underlyingRead + ";");
            _w.Close();
            return;
        }

        _w.Open("if (reader.TokenType == " + Names.TokenType + ".String)");
        _w.Open("if (!reader.HasValueSequence && !reader.ValueIsEscaped)");
        _w.Line(Names.ByteSpan + " __text = reader.ValueSpan;");
        foreach (var member in model.Members)
        {
            _w.Line("if (" + Names.SequenceEqual + "(__text, " + Literal(member.JsonName) + "u8)) return (" + fqn + ")(" + member.Value + ");");
        }

        _w.Close();
        _w.Line("return Parse" + type.Id + "(reader.GetString());");
        _w.Close();
        _w.Line();
        _w.Line("return (" + fqn + ")" + underlyingRead + ";");
        _w.Close();

        _w.Line();
        _w.Open("private static " + fqn + " Parse" + type.Id + "(string? text)");
        _w.Open("if (text is not null)");
        foreach (var member in model.Members)
        {
            _w.Line("if (string.Equals(text, " + Literal(member.JsonName) + ", global::System.StringComparison.OrdinalIgnoreCase)) return (" + fqn + ")(" + member.Value + ");");
        }

        _w.Line("if (global::System.Enum.TryParse<" + fqn + ">(text, true, out var __value)) return __value;");
        _w.Close();
        _w.Line("throw " + Names.Helpers + ".UnknownEnumValue(" + Literal(type.DisplayName) + ", text);");
        _w.Close();

        for (var i = 0; i < model.Members.Count; i++)
        {
            if (model.Members[i].IsWritten)
            {
                _w.Line();
                _w.Line("private static readonly " + Names.EncodedText + " " + EnumName(type, i) + " = " + Names.EncodedText + ".Encode(" + Literal(model.Members[i].JsonName) + ");");
            }
        }
    }

    private void EmitCollection(TypeModel type)
    {
        var element = Type(type.ElementId!);
        var listType = Names.List + "<" + type.ElementFullyQualifiedName + ">";
        _w.Line();
        _w.Open("private static void Write" + type.Id + "(" + Names.Writer + " writer, " + Nullable(type) + " value)");
        _w.Open("if (value is null)");
        _w.Line("writer.WriteNullValue();");
        _w.Line("return;");
        _w.Close();
        _w.Line();
        _w.Line("writer.WriteStartArray();");
        switch (type.CollectionKind)
        {
            case CollectionKind.Array:
                _w.Open("for (int __i = 0; __i < value.Length; __i++)");
                WriteValue(element, "value[__i]");
                _w.Close();
                break;
            case CollectionKind.List:
            case CollectionKind.IList:
            case CollectionKind.IReadOnlyList:
                // Indexing through the interface avoids boxing an enumerator.
                _w.Open("for (int __i = 0; __i < value.Count; __i++)");
                WriteValue(element, "value[__i]");
                _w.Close();
                break;
            default:
                _w.Open("if (value is " + listType + " __list)");
                _w.Open("for (int __i = 0; __i < __list.Count; __i++)");
                WriteValue(element, "__list[__i]");
                _w.Close();
                _w.Close();
                _w.Open("else");
                _w.Open("foreach (var __item in value)");
                WriteValue(element, "__item");
                _w.Close();
                _w.Close();
                break;
        }

        _w.Line("writer.WriteEndArray();");
        _w.Close();

        _w.Line();
        _w.Open("private static " + Nullable(type) + " Read" + type.Id + "(ref " + Names.Reader + " reader)");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".Null) return null;");
        _w.Line("if (reader.TokenType != " + Names.TokenType + ".StartArray) throw " + Names.Helpers + ".InvalidToken(reader.TokenType, \"StartArray\", " + Literal(type.DisplayName) + ");");
        _w.Line("var __result = new " + listType + "();");
        _w.Line("int __index = 0;");
        _w.Open("try");
        _w.Open("while (true)");
        _w.Line("reader.Read();");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".EndArray) break;");
        _w.Line("__result.Add(" + ReadExpression(element) + ");");
        _w.Line("__index++;");
        _w.Close();
        _w.Close();
        _w.Open("catch (" + Names.JsonException + " __ex)");
        _w.Line("throw " + Names.Helpers + ".AddPath(__ex, " + Literal(type.DisplayName) + ", __index);");
        _w.Close();
        _w.Line();
        _w.Line(type.CollectionKind == CollectionKind.Array ? "return __result.ToArray();" : "return __result;");
        _w.Close();
    }

    private void EmitDictionary(TypeModel type)
    {
        var element = Type(type.ElementId!);
        var dictionaryType = Names.Dictionary + "<string, " + type.ElementFullyQualifiedName + ">";
        _w.Line();
        _w.Open("private static void Write" + type.Id + "(" + Names.Writer + " writer, " + Nullable(type) + " value)");
        _w.Open("if (value is null)");
        _w.Line("writer.WriteNullValue();");
        _w.Line("return;");
        _w.Close();
        _w.Line();
        _w.Line("writer.WriteStartObject();");
        if (type.CollectionKind == CollectionKind.Dictionary)
        {
            WritePairs(element, "value");
        }
        else
        {
            _w.Open("if (value is " + dictionaryType + " __dictionary)");
            WritePairs(element, "__dictionary");
            _w.Close();
            _w.Open("else");
            WritePairs(element, "value");
            _w.Close();
        }

        _w.Line("writer.WriteEndObject();");
        _w.Close();

        _w.Line();
        _w.Open("private static " + Nullable(type) + " Read" + type.Id + "(ref " + Names.Reader + " reader)");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".Null) return null;");
        _w.Line("if (reader.TokenType != " + Names.TokenType + ".StartObject) throw " + Names.Helpers + ".InvalidToken(reader.TokenType, \"StartObject\", " + Literal(type.DisplayName) + ");");
        _w.Line("var __result = new " + dictionaryType + "();");
        _w.Line("string? __key = null;");
        _w.Open("try");
        _w.Open("while (true)");
        _w.Line("reader.Read();");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".EndObject) break;");
        _w.Line("__key = reader.GetString()!;");
        _w.Line("reader.Read();");
        _w.Line("__result[__key] = " + ReadExpression(element) + ";");
        _w.Close();
        _w.Close();
        _w.Open("catch (" + Names.JsonException + " __ex)");
        _w.Line("throw " + Names.Helpers + ".AddPath(__ex, " + Literal(type.DisplayName) + ", __key);");
        _w.Close();
        _w.Line();
        _w.Line("return __result;");
        _w.Close();
    }

    private void WritePairs(TypeModel element, string dictionary)
    {
        _w.Open("foreach (var __pair in " + dictionary + ")");
        _w.Line("writer.WritePropertyName(__pair.Key);");
        WriteValue(element, "__pair.Value");
        _w.Close();
    }

    private static string EnumName(TypeModel type, int index) => "s_" + type.Id + "_" + index.ToString(CultureInfo.InvariantCulture);

    private static string UnderlyingReader(string keyword) => keyword switch
    {
        "byte" => "Byte",
        "sbyte" => "SByte",
        "short" => "Int16",
        "ushort" => "UInt16",
        "uint" => "UInt32",
        "long" => "Int64",
        "ulong" => "UInt64",
        _ => "Int32",
    };
}
