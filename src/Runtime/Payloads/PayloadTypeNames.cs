using System.Text;

namespace NativeAotPersistence;

/// <summary>C#-style names of payload types for messages, without reflection over members.</summary>
internal static class PayloadTypeNames
{
    public static string NotRegisteredMessage(Type type)
    {
        var name = Display(type);
        return $"The payload type '{name}' has no serializer: it is not a built-in type and no PayloadContext in " +
               $"PersistenceAdapterOptions.Payloads registers it. Add [Payload(typeof({name}))] to a " +
               $"'partial class ... : PayloadContext' and pass its Default instance as PersistenceAdapterOptions.Payloads, " +
               $"or pass a PayloadTypeInfo<{name}> explicitly.";
    }

    public static string Display(Type type)
    {
        var builder = new StringBuilder();
        Append(builder, type);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, Type type)
    {
        if (type.IsArray)
        {
            Append(builder, type.GetElementType()!);
            builder.Append('[').Append(',', type.GetArrayRank() - 1).Append(']');
            return;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            Append(builder, underlying);
            builder.Append('?');
            return;
        }

        if (Keyword(type) is { } keyword)
        {
            builder.Append(keyword);
            return;
        }

        if (type.IsNested && !type.IsGenericParameter && type.DeclaringType is { } declaring)
        {
            Append(builder, declaring);
            builder.Append('.');
        }
        else if (!string.IsNullOrEmpty(type.Namespace) && type.Namespace is not ("System" or "System.Collections.Generic"))
        {
            builder.Append(type.Namespace).Append('.');
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        builder.Append(tick < 0 ? name : name[..tick]);
        if (type.IsGenericType && tick >= 0)
        {
            builder.Append('<');
            var arguments = type.GetGenericArguments();
            for (var i = 0; i < arguments.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(", ");
                }

                Append(builder, arguments[i]);
            }

            builder.Append('>');
        }
    }

    private static string? Keyword(Type type)
    {
        if (type == typeof(string)) return "string";
        if (type == typeof(bool)) return "bool";
        if (type == typeof(byte)) return "byte";
        if (type == typeof(sbyte)) return "sbyte";
        if (type == typeof(short)) return "short";
        if (type == typeof(ushort)) return "ushort";
        if (type == typeof(int)) return "int";
        if (type == typeof(uint)) return "uint";
        if (type == typeof(long)) return "long";
        if (type == typeof(ulong)) return "ulong";
        if (type == typeof(float)) return "float";
        if (type == typeof(double)) return "double";
        if (type == typeof(decimal)) return "decimal";
        if (type == typeof(object)) return "object";
        if (type == typeof(char)) return "char";
        return null;
    }
}
