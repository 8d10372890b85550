using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Parsing;

internal sealed partial class TypeWalker
{
    /// <summary>The built-in scalar kind of <paramref name="type"/>, or <see cref="BuiltInKind.None"/>.</summary>
    public static BuiltInKind GetBuiltIn(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return BuiltInKind.String;
            case SpecialType.System_Boolean: return BuiltInKind.Boolean;
            case SpecialType.System_Byte: return BuiltInKind.Byte;
            case SpecialType.System_SByte: return BuiltInKind.SByte;
            case SpecialType.System_Int16: return BuiltInKind.Int16;
            case SpecialType.System_UInt16: return BuiltInKind.UInt16;
            case SpecialType.System_Int32: return BuiltInKind.Int32;
            case SpecialType.System_UInt32: return BuiltInKind.UInt32;
            case SpecialType.System_Int64: return BuiltInKind.Int64;
            case SpecialType.System_UInt64: return BuiltInKind.UInt64;
            case SpecialType.System_Single: return BuiltInKind.Single;
            case SpecialType.System_Double: return BuiltInKind.Double;
            case SpecialType.System_Decimal: return BuiltInKind.Decimal;
            case SpecialType.System_DateTime: return BuiltInKind.DateTime;
        }

        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
        {
            return BuiltInKind.ByteArray;
        }

        if (type is INamedTypeSymbol { ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } named)
        {
            switch (named.MetadataName)
            {
                case "Guid": return BuiltInKind.Guid;
                case "DateTimeOffset": return BuiltInKind.DateTimeOffset;
                case "TimeSpan": return BuiltInKind.TimeSpan;
            }
        }

        return BuiltInKind.None;
    }

    /// <summary>Whether <paramref name="type"/> (or <c>Nullable</c> of it) is built in and needs no context.</summary>
    public static bool IsBuiltIn(ITypeSymbol type) =>
        GetBuiltIn(type) != BuiltInKind.None || (GetNullableUnderlying(type) is { } u && GetBuiltIn(u) != BuiltInKind.None);

    public static ITypeSymbol? GetNullableUnderlying(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } named ? named.TypeArguments[0] : null;

    private static TypeShape? GetCollection(ITypeSymbol type, out CollectionKind kind, out ITypeSymbol? element)
    {
        kind = default;
        element = null;
        if (type is IArrayTypeSymbol array)
        {
            kind = CollectionKind.Array;
            element = array.ElementType;
            return array.Rank == 1 ? TypeShape.Collection : null;
        }

        if (type is not INamedTypeSymbol { IsGenericType: true } named)
        {
            return null;
        }

        switch (named.OriginalDefinition.SpecialType)
        {
            case SpecialType.System_Collections_Generic_IList_T: kind = CollectionKind.IList; break;
            case SpecialType.System_Collections_Generic_ICollection_T: kind = CollectionKind.ICollection; break;
            case SpecialType.System_Collections_Generic_IEnumerable_T: kind = CollectionKind.IEnumerable; break;
            case SpecialType.System_Collections_Generic_IReadOnlyList_T: kind = CollectionKind.IReadOnlyList; break;
            case SpecialType.System_Collections_Generic_IReadOnlyCollection_T: kind = CollectionKind.IReadOnlyCollection; break;
            default:
                switch (named.OriginalDefinition.ToDisplayString())
                {
                    case "System.Collections.Generic.List<T>":
                        kind = CollectionKind.List;
                        element = named.TypeArguments[0];
                        return TypeShape.Collection;
                    case "System.Collections.Generic.Dictionary<TKey, TValue>": kind = CollectionKind.Dictionary; break;
                    case "System.Collections.Generic.IDictionary<TKey, TValue>": kind = CollectionKind.IDictionary; break;
                    case "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>": kind = CollectionKind.IReadOnlyDictionary; break;
                    default: return null;
                }

                element = named.TypeArguments[1];
                return TypeShape.Dictionary;
        }

        element = named.TypeArguments[0];
        return TypeShape.Collection;
    }

    /// <summary>Why <paramref name="type"/> cannot be a payload type, or null when it can.</summary>
    private static string? Unsupported(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Error || GetBuiltIn(type) != BuiltInKind.None || type.TypeKind == TypeKind.Enum)
        {
            return null;
        }

        switch (type.TypeKind)
        {
            case TypeKind.TypeParameter:
                return "type parameters are not supported; register a closed type such as List<int>";
            case TypeKind.Pointer:
            case TypeKind.FunctionPointer:
            case TypeKind.Dynamic:
                return "pointers and dynamic are not serializable";
            case TypeKind.Delegate:
                return "delegates are not serializable";
        }

        if (GetNullableUnderlying(type) is { } underlying)
        {
            return Unsupported(underlying);
        }

        var shape = GetCollection(type, out var kind, out var element);
        if (type is IArrayTypeSymbol { Rank: > 1 })
        {
            return "multi-dimensional arrays are not supported; use a jagged array or List<List<T>>";
        }

        if (shape == TypeShape.Dictionary)
        {
            var key = ((INamedTypeSymbol)type).TypeArguments[0];
            if (key.SpecialType != SpecialType.System_String)
            {
                return "dictionary keys must be string";
            }
        }

        if (shape is not null)
        {
            return element is null ? null : Unsupported(element);
        }

        if (type.SpecialType == SpecialType.System_Object)
        {
            return "object is not supported; use a concrete type";
        }

        if (type.TypeKind == TypeKind.Interface)
        {
            return "interfaces other than IEnumerable<T>, IList<T>, ICollection<T>, IReadOnlyList<T>, IReadOnlyCollection<T>, " +
                   "IDictionary<string, T> and IReadOnlyDictionary<string, T> are not supported; use a concrete type";
        }

        if (type.IsRefLikeType)
        {
            return "ref struct types are not serializable";
        }

        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return "only classes, structs, records, enums, the built-in types and the supported collections are payload types";
        }

        var ns = type.ContainingNamespace?.ToDisplayString() ?? "";
        if (ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal) || ns == "Microsoft" || ns.StartsWith("Microsoft.", System.StringComparison.Ordinal))
        {
            return "framework types other than string, bool, the integer types, float, double, decimal, Guid, DateTime, DateTimeOffset, TimeSpan, " +
                   "byte[], arrays, List<T> and the supported collection interfaces and Dictionary<string, T> have no payload serializer";
        }

        return null;
    }
}
