using System.Globalization;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Emit;

internal sealed partial class Emitter
{
    private void EmitNullable(TypeModel type)
    {
        var element = Type(type.ElementId!);
        _w.Line();
        _w.Open("internal static void Write(" + Names.Writer + " writer, " + type.FullyQualifiedName + " value)");
        WriteDepthCheck(type.DisplayName);
        _w.Open("if (value.HasValue)");
        WriteValue(element, "value.GetValueOrDefault()");
        _w.Close();
        _w.Open("else");
        _w.Line("writer.WriteNullValue();");
        _w.Close();
        _w.Close();
        _w.Line();
        _w.Open("internal static " + type.FullyQualifiedName + " Read(ref " + Names.Reader + " reader)");
        _w.Line("return reader.TokenType == " + Names.TokenType + ".Null ? null : " + ReadExpression(element) + ";");
        _w.Close();
    }

    private void EmitEnum(TypeModel type)
    {
        var model = type.Enum!;
        var fqn = type.FullyQualifiedName;
        var underlying = model.UnderlyingType;
        var signed = underlying is "sbyte" or "short" or "int" or "long";
        var size = underlying switch
        {
            "byte" or "sbyte" => 1,
            "short" or "ushort" => 2,
            "long" or "ulong" => 8,
            _ => 4,
        };
        var underlyingRead = Names.Helpers + ".Read" + UnderlyingReader(underlying) + "(ref reader)";

        _w.Line();
        _w.Line("// The names System.Text.Json's JsonStringEnumConverter writes and reads: flags combinations, custom names, integers.");
        _w.Line("private static readonly " + Names.EnumFormat + " s_format = new(");
        _w.Line("    " + Literal(type.DisplayName) + ", " + (model.IsFlags ? "true" : "false") + ", " + (signed ? "true" : "false") + ", " + size.ToString(CultureInfo.InvariantCulture) + ",");
        var values = new System.Text.StringBuilder();
        var names = new System.Text.StringBuilder();
        var custom = new System.Text.StringBuilder();
        foreach (var member in model.Members)
        {
            values.Append("ToBits((" + fqn + ")(" + member.Value + ")), ");
            names.Append(Literal(member.JsonName) + ", ");
            custom.Append(member.IsCustom ? "true, " : "false, ");
        }

        _w.Line("    new ulong[] { " + values + "},");
        _w.Line("    new string[] { " + names + "},");
        _w.Line("    new bool[] { " + custom + "});");

        _w.Line();
        _w.Line("private static ulong ToBits(" + fqn + " value) => unchecked((ulong)(" + (signed ? "long" : "ulong") + ")(" + underlying + ")value);");
        _w.Line();
        _w.Line("private static " + fqn + " FromBits(ulong bits) => unchecked((" + fqn + ")(" + underlying + ")bits);");

        _w.Line();
        _w.Open("internal static void Write(" + Names.Writer + " writer, " + fqn + " value)");
        WriteDepthCheck(type.DisplayName);
        if (!_enumsAsNumbers && model.Members.Count > 0)
        {
            _w.Open("switch (value)");
            for (var i = 0; i < model.Members.Count; i++)
            {
                var member = model.Members[i];
                if (member.IsWritten)
                {
                    _w.Line("case (" + fqn + ")(" + member.Value + "): writer.WriteStringValue(" + EnumName(i) + "); return;");
                }
            }

            _w.Close();
            if (model.IsFlags)
            {
                _w.Line("string? __text = s_format.Format(ToBits(value));");
                _w.Open("if (__text is not null)");
                _w.Line("writer.WriteStringValue(__text);");
                _w.Line("return;");
                _w.Close();
            }
        }

        _w.Line("writer.WriteNumberValue((" + underlying + ")value);");
        _w.Close();

        _w.Line();
        _w.Open("internal static " + fqn + " Read(ref " + Names.Reader + " reader)");
        if (!_enumsAsNumbers)
        {
            _w.Open("if (reader.TokenType == " + Names.TokenType + ".String)");
            _w.Open("if (!reader.HasValueSequence && !reader.ValueIsEscaped)");
            _w.Line(Names.ByteSpan + " __text = reader.ValueSpan;");
            foreach (var member in model.Members)
            {
                _w.Line("if (" + Names.SequenceEqual + "(__text, " + Literal(member.JsonName) + "u8)) return (" + fqn + ")(" + member.Value + ");");
            }

            _w.Close();
            _w.Line("return FromBits(s_format.Parse(reader.GetString()));");
            _w.Close();
            _w.Line();
        }

        _w.Line("return (" + fqn + ")" + underlyingRead + ";");
        _w.Close();

        // Dictionary keys are names (or integers) whether enums are written as strings or numbers, as System.Text.Json does.
        _w.Line();
        _w.Open("internal static void WriteKey(" + Names.Writer + " writer, " + fqn + " value)");
        _w.Line("ulong __bits = ToBits(value);");
        _w.Line("writer.WritePropertyName(s_format.Format(__bits) ?? s_format.FormatNumber(__bits));");
        _w.Close();
        _w.Line();
        _w.Line("internal static " + fqn + " ReadKey(ref " + Names.Reader + " reader) => FromBits(s_format.Parse(reader.GetString()));");

        if (!_enumsAsNumbers)
        {
            for (var i = 0; i < model.Members.Count; i++)
            {
                if (model.Members[i].IsWritten)
                {
                    _w.Line();
                    _w.Line("private static readonly " + Names.EncodedText + " " + EnumName(i) + " = " + Names.EncodedText + ".Encode(" + Literal(model.Members[i].JsonName) + ");");
                }
            }
        }
    }

    private void EmitCollection(TypeModel type)
    {
        var self = type.ToRef();
        var element = Type(type.ElementId!);
        var collection = type.Collection!;
        OpenWrite(type);
        _w.Line("writer.WriteStartArray();");
        switch (type.CollectionKind)
        {
            case CollectionKind.Array:
                _w.Open("for (int __i = 0; __i < value.Length; __i++)");
                WriteElement(element, "value[__i]", type.DisplayName);
                _w.Close();
                break;
            case CollectionKind.Indexed:
                _w.Open("for (int __i = 0; __i < value.Count; __i++)");
                WriteElement(element, "value[__i]", type.DisplayName);
                _w.Close();
                break;
            case CollectionKind.Interface:
                // A List<T> behind the interface is indexed, which avoids boxing an enumerator.
                _w.Open("if (value is " + Names.List + "<" + type.ElementFullyQualifiedName + "> __list)");
                _w.Open("for (int __i = 0; __i < __list.Count; __i++)");
                WriteElement(element, "__list[__i]", type.DisplayName);
                _w.Close();
                _w.Close();
                _w.Open("else");
                _w.Open("foreach (var __item in value)");
                WriteElement(element, "__item", type.DisplayName);
                _w.Close();
                _w.Close();
                break;
            default:
                _w.Open("foreach (var __item in value)");
                WriteElement(element, "__item", type.DisplayName);
                _w.Close();
                break;
        }

        _w.Line("writer.WriteEndArray();");
        _w.Close();

        _w.Line();
        _w.Open("internal static " + Nullable(self) + " Read(ref " + Names.Reader + " reader)");
        if (type.IsReferenceType)
        {
            _w.Line("if (reader.TokenType == " + Names.TokenType + ".Null) return null;");
        }

        _w.Line("if (reader.TokenType != " + Names.TokenType + ".StartArray) throw " + Names.Helpers + ".InvalidToken(reader.TokenType, \"StartArray\", " + Literal(type.DisplayName) + ");");
        _w.Line("var __result = " + collection.Create + ";");
        _w.Line("int __index = 0;");
        _w.Open("try");
        _w.Open("while (true)");
        _w.Line("reader.Read();");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".EndArray) break;");
        _w.Line(string.Format(CultureInfo.InvariantCulture, collection.Add, "__result", ReadExpression(element)) + ";");
        _w.Line("__index++;");
        _w.Close();
        _w.Close();
        _w.Open("catch (" + Names.JsonException + " __ex)");
        _w.Line("throw " + Names.Helpers + ".AddPath(__ex, " + Literal(type.DisplayName) + ", __index);");
        _w.Close();
        _w.Line();
        _w.Line("return " + string.Format(CultureInfo.InvariantCulture, collection.Finish, "__result") + ";");
        _w.Close();
    }

    private void EmitDictionary(TypeModel type)
    {
        var self = type.ToRef();
        var element = Type(type.ElementId!);
        var key = Type(type.KeyId!);
        var collection = type.Collection!;
        OpenWrite(type);
        _w.Line("writer.WriteStartObject();");
        if (type.CollectionKind == CollectionKind.Interface)
        {
            _w.Open("if (value is " + Names.Dictionary + "<" + type.KeyFullyQualifiedName + ", " + type.ElementFullyQualifiedName + "> __dictionary)");
            WritePairs(key, element, "__dictionary", type.DisplayName);
            _w.Close();
            _w.Open("else");
            WritePairs(key, element, "value", type.DisplayName);
            _w.Close();
        }
        else
        {
            WritePairs(key, element, "value", type.DisplayName);
        }

        _w.Line("writer.WriteEndObject();");
        _w.Close();

        _w.Line();
        _w.Open("internal static " + Nullable(self) + " Read(ref " + Names.Reader + " reader)");
        if (type.IsReferenceType)
        {
            _w.Line("if (reader.TokenType == " + Names.TokenType + ".Null) return null;");
        }

        _w.Line("if (reader.TokenType != " + Names.TokenType + ".StartObject) throw " + Names.Helpers + ".InvalidToken(reader.TokenType, \"StartObject\", " + Literal(type.DisplayName) + ");");
        _w.Line("var __result = " + collection.Create + ";");
        _w.Line("string? __key = null;");
        _w.Open("try");
        _w.Open("while (true)");
        _w.Line("reader.Read();");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".EndObject) break;");
        _w.Line("__key = reader.GetString()!;");
        _w.Line("var __k = " + ReadKeyExpression(key) + ";");
        _w.Line("reader.Read();");
        _w.Line(string.Format(CultureInfo.InvariantCulture, collection.Add, "__result", ReadExpression(element), "__k") + ";");
        _w.Close();
        _w.Close();
        _w.Open("catch (" + Names.JsonException + " __ex)");
        _w.Line("throw " + Names.Helpers + ".AddPath(__ex, " + Literal(type.DisplayName) + ", __key);");
        _w.Close();
        _w.Line();
        _w.Line("return " + string.Format(CultureInfo.InvariantCulture, collection.Finish, "__result") + ";");
        _w.Close();
    }

    private void WritePairs(TypeRef key, TypeRef element, string dictionary, string display)
    {
        _w.Open("foreach (var __pair in " + dictionary + ")");
        switch (key.BuiltIn)
        {
            case BuiltInKind.String:
                _w.Line("writer.WritePropertyName(__pair.Key);");
                break;
            case BuiltInKind.None:
                _w.Line(Class(key.Id) + ".WriteKey(writer, __pair.Key);");
                break;
            default:
                _w.Line(Names.Helpers + ".WriteKeyWith(writer, " + Converter(key.BuiltIn) + ", __pair.Key);");
                break;
        }

        WriteElement(element, "__pair.Value", display);
        _w.Close();
    }

    /// <summary>Writes an element; one written inline (a built-in scalar) is checked for depth here, the others check themselves.</summary>
    private void WriteElement(TypeRef element, string expression, string display)
    {
        if (element.BuiltIn != BuiltInKind.None)
        {
            WriteDepthCheck(display);
        }

        WriteValue(element, expression);
    }

    private static string ReadKeyExpression(TypeRef key) => key.BuiltIn switch
    {
        BuiltInKind.String => "__key",
        BuiltInKind.None => Class(key.Id) + ".ReadKey(ref reader)",
        _ => Names.Helpers + ".ReadKeyWith(ref reader, " + Converter(key.BuiltIn) + ", " + Literal(key.DisplayName) + ")",
    };

    private static string EnumName(int index) => "s_" + index.ToString(CultureInfo.InvariantCulture);

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
