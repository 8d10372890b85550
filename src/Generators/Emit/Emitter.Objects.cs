using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Emit;

internal sealed partial class Emitter
{
    private void EmitObject(TypeModel type)
    {
        var model = type.Object!;
        var members = model.Members;
        _w.Line();
        _w.Open("private static void Write" + type.Id + "(" + Names.Writer + " writer, " + Nullable(type) + " value)");
        if (type.IsReferenceType)
        {
            _w.Open("if (value is null)");
            _w.Line("writer.WriteNullValue();");
            _w.Line("return;");
            _w.Close();
            _w.Line();
        }

        _w.Line("writer.WriteStartObject();");
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (!member.CanWrite)
            {
                continue;
            }

            var memberType = Type(member.TypeId);
            var access = "value." + member.Name;
            switch (member.Condition)
            {
                case WriteCondition.WhenNotNull:
                    _w.Open("if (" + access + " is not null)");
                    WriteProperty(memberType, MemberName(type, i), access);
                    _w.Close();
                    break;
                case WriteCondition.WhenNotDefault:
                    _w.Open(memberType.IsReferenceType
                        ? "if (" + access + " is not null)"
                        : "if (!" + Names.EqualityComparer + "<" + memberType.FullyQualifiedName + ">.Default.Equals(" + access + ", default))");
                    WriteProperty(memberType, MemberName(type, i), access);
                    _w.Close();
                    break;
                default:
                    WriteProperty(memberType, MemberName(type, i), access);
                    break;
            }
        }

        _w.Line("writer.WriteEndObject();");
        _w.Close();

        EmitObjectRead(type, model);

        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].CanWrite)
            {
                _w.Line();
                _w.Line("private static readonly " + Names.EncodedText + " " + MemberName(type, i) + " = " + Names.EncodedText + ".Encode(" + Literal(members[i].JsonName) + ");");
            }
        }

        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (member.Setter == MemberSetter.InitAccessor)
            {
                var target = model.IsValueType ? "ref " + type.FullyQualifiedName : member.DeclaringType;
                _w.Line();
                _w.Line("[" + Names.UnsafeAccessor + "(" + Names.UnsafeAccessorKind + ".Method, Name = " + Literal("set_" + member.Name) + ")]");
                _w.Line("private static extern void " + InitAccessor(type, i) + "(" + target + " target, " + member.LocalType + " value);");
            }
        }
    }

    private void EmitObjectRead(TypeModel type, ObjectModel model)
    {
        var members = model.Members;
        var display = Literal(type.DisplayName);
        _w.Line();
        _w.Open("private static " + Nullable(type) + " Read" + type.Id + "(ref " + Names.Reader + " reader)");
        if (type.IsReferenceType)
        {
            _w.Line("if (reader.TokenType == " + Names.TokenType + ".Null) return null;");
        }

        _w.Line("if (reader.TokenType != " + Names.TokenType + ".StartObject) throw " + Names.Helpers + ".InvalidToken(reader.TokenType, \"StartObject\", " + display + ");");
        if (!model.CanRead)
        {
            _w.Line("throw new global::System.NotSupportedException(" + Literal("'" + type.DisplayName + "' has no constructor the payload generator can use.") + ");");
            _w.Close();
            return;
        }

        var readable = new List<int>();
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Setter != MemberSetter.None)
            {
                readable.Add(i);
            }
        }

        var defaults = new Dictionary<int, string>();
        foreach (var argument in model.ConstructorArguments)
        {
            defaults[argument.MemberIndex] = argument.DefaultValue;
        }

        foreach (var i in readable)
        {
            var initial = defaults.TryGetValue(i, out var value) ? value : (Type(members[i].TypeId).IsReferenceType ? "default!" : "default");
            _w.Line(members[i].LocalType + " " + Local(i) + " = " + initial + ";");
            if (NeedsHas(members[i]))
            {
                _w.Line("bool " + Has(i) + " = false;");
            }
        }

        _w.Line("string? __property = null;");
        _w.Open("try");
        _w.Open("while (true)");
        _w.Line("reader.Read();");
        _w.Line("if (reader.TokenType == " + Names.TokenType + ".EndObject) break;");
        _w.Line("__property = null;");
        if (readable.Count > 0)
        {
            _w.Line(Names.ByteSpan + " __name = reader.HasValueSequence || reader.ValueIsEscaped ? (" + Names.ByteSpan + ")" + Names.Helpers + ".GetUnescapedName(ref reader) : reader.ValueSpan;");
            _w.Line("reader.Read();");
            _w.Open("switch (__name.Length)");
            foreach (var group in readable.GroupBy(i => Encoding.UTF8.GetByteCount(members[i].JsonName)).OrderBy(static g => g.Key))
            {
                _w.Line("case " + group.Key.ToString(CultureInfo.InvariantCulture) + ":");
                _w.Open();
                foreach (var i in group)
                {
                    var member = members[i];
                    _w.Open("if (" + Names.SequenceEqual + "(__name, " + Literal(member.JsonName) + "u8))");
                    _w.Line("__property = " + Literal(member.JsonName) + ";");
                    _w.Line(Local(i) + " = " + ReadExpression(Type(member.TypeId)) + ";");
                    if (NeedsHas(member))
                    {
                        _w.Line(Has(i) + " = true;");
                    }

                    _w.Line("continue;");
                    _w.Close();
                }

                _w.Line("break;");
                _w.Close();
            }

            _w.Close();
        }
        else
        {
            _w.Line("reader.Read();");
        }

        _w.Line();
        _w.Line("reader.Skip();");
        _w.Close();
        _w.Close();
        _w.Open("catch (" + Names.JsonException + " __ex)");
        _w.Line("throw " + Names.Helpers + ".AddPath(__ex, " + display + ", __property);");
        _w.Close();

        var required = readable.Where(i => members[i].IsRequired).ToList();
        if (required.Count > 0)
        {
            _w.Line();
            var condition = string.Join(" || ", required.Select(i => "!" + Has(i)));
            var names = string.Join(", ", required.Select(i => Has(i) + " ? null : " + Literal(members[i].JsonName)));
            _w.Line("if (" + condition + ") throw " + Names.Helpers + ".MissingRequired(" + display + ", " + names + ");");
        }

        _w.Line();
        var arguments = string.Join(", ", model.ConstructorArguments.Select(a => Local(a.MemberIndex)));
        var initializers = readable.Where(i => members[i].Setter == MemberSetter.Initializer).ToList();
        if (initializers.Count == 0)
        {
            _w.Line("var __result = new " + type.FullyQualifiedName + "(" + arguments + ");");
        }
        else
        {
            _w.Line("var __result = new " + type.FullyQualifiedName + "(" + arguments + ")");
            _w.Open();
            foreach (var i in initializers)
            {
                _w.Line(members[i].Name + " = " + Local(i) + ",");
            }

            _w.Close(";");
        }

        foreach (var i in readable)
        {
            switch (members[i].Setter)
            {
                case MemberSetter.Assign:
                    _w.Line("if (" + Has(i) + ") __result." + members[i].Name + " = " + Local(i) + ";");
                    break;
                case MemberSetter.InitAccessor:
                    _w.Line("if (" + Has(i) + ") " + InitAccessor(type, i) + "(" + (model.IsValueType ? "ref " : "") + "__result, " + Local(i) + ");");
                    break;
            }
        }

        _w.Line("return __result;");
        _w.Close();
    }

    private static bool NeedsHas(MemberModel member) =>
        member.IsRequired || member.Setter is MemberSetter.Assign or MemberSetter.InitAccessor;

    private static string MemberName(TypeModel type, int index) => "s_" + type.Id + "_" + index.ToString(CultureInfo.InvariantCulture);

    private static string InitAccessor(TypeModel type, int index) => "__Init" + type.Id + "_" + index.ToString(CultureInfo.InvariantCulture);

    private static string Local(int index) => "__v" + index.ToString(CultureInfo.InvariantCulture);

    private static string Has(int index) => "__has" + index.ToString(CultureInfo.InvariantCulture);
}
