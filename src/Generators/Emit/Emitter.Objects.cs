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
        var self = type.ToRef();
        var model = type.Object!;
        var members = model.Members;
        OpenWrite(type);
        _w.Line("writer.WriteStartObject();");

        // Members written inline (the built-in scalars) are one level deeper than the object: checked once for all
        // that are always written, and inside the condition for the others; the other members' writers check themselves.
        var checkedInline = false;
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (!member.CanWrite)
            {
                continue;
            }

            var memberType = Type(member.TypeId);
            var access = GetExpression(model, member, i);
            var inline = memberType.BuiltIn != BuiltInKind.None;
            switch (member.Condition)
            {
                case WriteCondition.WhenNotNull:
                    _w.Open("if (" + access + " is not null)");
                    if (inline && !checkedInline)
                    {
                        WriteDepthCheck(type.DisplayName);
                    }

                    WriteProperty(memberType, MemberName(i), access);
                    _w.Close();
                    break;
                case WriteCondition.WhenNotDefault:
                    _w.Open(memberType.IsReferenceType
                        ? "if (" + access + " is not null)"
                        : "if (!" + Names.EqualityComparer + "<" + memberType.FullyQualifiedName + ">.Default.Equals(" + access + ", default))");
                    if (inline && !checkedInline)
                    {
                        WriteDepthCheck(type.DisplayName);
                    }

                    WriteProperty(memberType, MemberName(i), access);
                    _w.Close();
                    break;
                default:
                    if (inline && !checkedInline)
                    {
                        WriteDepthCheck(type.DisplayName);
                        checkedInline = true;
                    }

                    WriteProperty(memberType, MemberName(i), access);
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
                _w.Line("private static readonly " + Names.EncodedText + " " + MemberName(i) + " = " + Names.EncodedText + ".Encode(" + Literal(members[i].JsonName) + ");");
            }
        }

        EmitAccessors(type, model);
    }

    private void EmitObjectRead(TypeModel type, ObjectModel model)
    {
        var members = model.Members;
        var display = Literal(type.DisplayName);
        _w.Line();
        _w.Open("internal static " + Nullable(type.ToRef()) + " Read(ref " + Names.Reader + " reader)");
        if (type.IsReferenceType)
        {
            _w.Line("if (reader.TokenType == " + Names.TokenType + ".Null) return null;");
        }

        _w.Line("if (reader.TokenType != " + Names.TokenType + ".StartObject) throw " + Names.Helpers + ".InvalidToken(reader.TokenType, \"StartObject\", " + display + ");");

        var readable = new List<int>();
        var matched = new List<int>();
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Setter != MemberSetter.None)
            {
                readable.Add(i);
                matched.Add(i);
            }
            else if (model.DisallowUnmapped)
            {
                // A known property that is not read is still mapped: it is skipped, not refused.
                matched.Add(i);
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
        if (matched.Count > 0 || model.DisallowUnmapped)
        {
            _w.Line(Names.ByteSpan + " __name = reader.HasValueSequence || reader.ValueIsEscaped ? (" + Names.ByteSpan + ")" + Names.Helpers + ".GetUnescapedName(ref reader) : reader.ValueSpan;");
        }

        _w.Line("reader.Read();");
        if (matched.Count > 0)
        {
            _w.Open("switch (__name.Length)");
            foreach (var group in matched.GroupBy(i => Encoding.UTF8.GetByteCount(members[i].JsonName)).OrderBy(static g => g.Key))
            {
                _w.Line("case " + group.Key.ToString(CultureInfo.InvariantCulture) + ":");
                _w.Open();
                foreach (var i in group)
                {
                    var member = members[i];
                    _w.Open("if (" + Names.SequenceEqual + "(__name, " + Literal(member.JsonName) + "u8))");
                    if (member.Setter == MemberSetter.None)
                    {
                        _w.Line("reader.Skip();");
                        _w.Line("continue;");
                        _w.Close();
                        continue;
                    }

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

        _w.Line();
        if (model.DisallowUnmapped)
        {
            _w.Line("throw " + Names.Helpers + ".UnmappedProperty(" + display + ", __name);");
        }
        else
        {
            _w.Line("reader.Skip();");
        }

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
        // A value tuple is spelled (T1, T2), which 'new' does not take; its parameterless constructor is its default.
        var creation = model.ConstructorIsAccessor ? "__Create(" + arguments + ")"
            : type.FullyQualifiedName.StartsWith("(", System.StringComparison.Ordinal) ? "default(" + type.FullyQualifiedName + ")"
            : "new " + type.FullyQualifiedName + "(" + arguments + ")";
        var initializers = readable.Where(i => members[i].Setter == MemberSetter.Initializer).ToList();
        if (initializers.Count == 0)
        {
            _w.Line("var __result = " + creation + ";");
        }
        else
        {
            _w.Line("var __result = " + creation);
            _w.Open();
            foreach (var i in initializers)
            {
                _w.Line(members[i].Name + " = " + Local(i) + ",");
            }

            _w.Close(";");
        }

        var target = model.IsValueType ? "ref __result" : "__result";
        foreach (var i in readable)
        {
            switch (members[i].Setter)
            {
                case MemberSetter.Assign:
                    _w.Line("if (" + Has(i) + ") __result." + members[i].Name + " = " + Local(i) + ";");
                    break;
                case MemberSetter.Accessor:
                    _w.Line("if (" + Has(i) + ") " + AccessorCall(members[i], i, "Set") + "(" + target + ", " + Local(i) + ");");
                    break;
                case MemberSetter.FieldAccessor:
                    _w.Line("if (" + Has(i) + ") " + AccessorCall(members[i], i, "Field") + "(" + target + ") = " + Local(i) + ";");
                    break;
            }
        }

        _w.Line("return __result;");
        _w.Close();
    }

    /// <summary>The expression that reads member <paramref name="i"/> of <c>value</c> when writing.</summary>
    private static string GetExpression(ObjectModel model, MemberModel member, int i)
    {
        var target = model.IsValueType ? "ref value" : "value";
        return member.Getter switch
        {
            MemberGetter.Accessor => AccessorCall(member, i, "Get") + "(" + target + ")",
            MemberGetter.FieldAccessor => AccessorCall(member, i, "Field") + "(" + target + ")",
            _ => "value." + member.Name,
        };
    }

    /// <summary>
    /// The <c>UnsafeAccessor</c>s of init-only, non-public and <c>[JsonInclude]</c> members and of a non-public
    /// <c>[JsonConstructor]</c>. A member of a generic type gets them in a generic class whose type parameters are the
    /// declaring type's, the only form the runtime binds.
    /// </summary>
    private void EmitAccessors(TypeModel type, ObjectModel model)
    {
        if (model.ConstructorIsAccessor)
        {
            var parameters = string.Join(", ", model.ConstructorArguments.Select((a, index) => a.ParameterType + " p" + index.ToString(CultureInfo.InvariantCulture)));
            _w.Line();
            _w.Line("[" + Names.UnsafeAccessor + "(" + Names.UnsafeAccessorKind + ".Constructor)]");
            _w.Line("private static extern " + type.FullyQualifiedName + " __Create(" + parameters + ");");
        }

        for (var i = 0; i < model.Members.Count; i++)
        {
            var member = model.Members[i];
            if (member.Accessor is not { } accessor)
            {
                continue;
            }

            var generic = accessor.TypeParameters.Length > 0;
            var prefix = generic ? "public" : "private";
            var suffix = generic ? "" : "_" + i.ToString(CultureInfo.InvariantCulture);
            var target = (model.IsValueType ? "ref " : "") + accessor.TargetType + " target";
            _w.Line();
            if (generic)
            {
                _w.Open("private static class " + AccessorClass(i) + "<" + accessor.TypeParameters + ">");
            }

            if (member.Getter == MemberGetter.Accessor)
            {
                _w.Line("[" + Names.UnsafeAccessor + "(" + Names.UnsafeAccessorKind + ".Method, Name = " + Literal("get_" + member.MetadataName) + ")]");
                _w.Line(prefix + " static extern " + accessor.MemberType + " Get" + suffix + "(" + target + ");");
            }

            if (member.Setter == MemberSetter.Accessor)
            {
                _w.Line("[" + Names.UnsafeAccessor + "(" + Names.UnsafeAccessorKind + ".Method, Name = " + Literal("set_" + member.MetadataName) + ")]");
                _w.Line(prefix + " static extern void Set" + suffix + "(" + target + ", " + accessor.MemberType + " value);");
            }

            if (member.Getter == MemberGetter.FieldAccessor || member.Setter == MemberSetter.FieldAccessor)
            {
                _w.Line("[" + Names.UnsafeAccessor + "(" + Names.UnsafeAccessorKind + ".Field, Name = " + Literal(member.MetadataName) + ")]");
                _w.Line(prefix + " static extern ref " + accessor.MemberType + " Field" + suffix + "(" + target + ");");
            }

            if (generic)
            {
                _w.Close();
            }
        }
    }

    private static string AccessorCall(MemberModel member, int i, string kind)
    {
        var accessor = member.Accessor!;
        return accessor.TypeParameters.Length > 0
            ? AccessorClass(i) + "<" + accessor.TypeArguments + ">." + kind
            : kind + "_" + i.ToString(CultureInfo.InvariantCulture);
    }

    private static string AccessorClass(int index) => "__Accessors" + index.ToString(CultureInfo.InvariantCulture);

    private static bool NeedsHas(MemberModel member) =>
        member.IsRequired || member.Setter is MemberSetter.Assign or MemberSetter.Accessor or MemberSetter.FieldAccessor;

    private static string MemberName(int index) => "s_" + index.ToString(CultureInfo.InvariantCulture);

    private static string Local(int index) => "__v" + index.ToString(CultureInfo.InvariantCulture);

    private static string Has(int index) => "__has" + index.ToString(CultureInfo.InvariantCulture);
}
