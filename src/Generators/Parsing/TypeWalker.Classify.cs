using System.Linq;
using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Parsing;

internal sealed partial class TypeWalker
{
    private const string Immutable = "global::System.Collections.Immutable.";

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
            case SpecialType.System_Char: return BuiltInKind.Char;
        }

        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
        {
            return BuiltInKind.ByteArray;
        }

        if (type is not INamedTypeSymbol { IsGenericType: false } named)
        {
            return BuiltInKind.None;
        }

        switch (named.ContainingNamespace?.ToDisplayString())
        {
            case "System":
                switch (named.MetadataName)
                {
                    case "Guid": return BuiltInKind.Guid;
                    case "DateTimeOffset": return BuiltInKind.DateTimeOffset;
                    case "TimeSpan": return BuiltInKind.TimeSpan;
                    case "DateOnly": return BuiltInKind.DateOnly;
                    case "TimeOnly": return BuiltInKind.TimeOnly;
                    case "Half": return BuiltInKind.Half;
                    case "Int128": return BuiltInKind.Int128;
                    case "UInt128": return BuiltInKind.UInt128;
                    case "Uri": return BuiltInKind.Uri;
                    case "Version": return BuiltInKind.Version;
                }

                break;
            case "System.Text.Json":
                switch (named.MetadataName)
                {
                    case "JsonElement": return BuiltInKind.JsonElement;
                    case "JsonDocument": return BuiltInKind.JsonDocument;
                }

                break;
            case "System.Text.Json.Nodes":
                switch (named.MetadataName)
                {
                    case "JsonNode": return BuiltInKind.JsonNode;
                    case "JsonObject": return BuiltInKind.JsonObject;
                    case "JsonArray": return BuiltInKind.JsonArray;
                    case "JsonValue": return BuiltInKind.JsonValue;
                }

                break;
        }

        return BuiltInKind.None;
    }

    /// <summary>
    /// Whether <paramref name="type"/> (or <c>Nullable</c> of it) is one of the runtime's built-in payload types, which need
    /// no context (the types System.Text.Json's converters write need a registration like any other).
    /// </summary>
    public static bool IsBuiltIn(ITypeSymbol type)
    {
        var kind = GetBuiltIn(GetNullableUnderlying(type) ?? type);
        return kind != BuiltInKind.None && kind <= BuiltInKind.TimeSpan;
    }

    public static ITypeSymbol? GetNullableUnderlying(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } named ? named.TypeArguments[0] : null;

    /// <summary>How a collection or dictionary type is written and read, or null when the type is neither.</summary>
    private sealed record CollectionShape(
        TypeShape Shape,
        CollectionKind Kind,
        ITypeSymbol Element,
        ITypeSymbol? Key,
        CollectionModel Model,
        string? Problem);

    /// <summary>
    /// Recognizes collections by what they are or implement, as System.Text.Json does: arrays, the framework's collections
    /// and their interfaces, the immutable collections, and any other type that implements <c>IDictionary&lt;K, V&gt;</c> or
    /// <c>ICollection&lt;T&gt;</c> (filled through that interface after its parameterless constructor).
    /// </summary>
    private static CollectionShape? ClassifyCollection(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol array)
        {
            var list = ListOf(array.ElementType);
            return Sequence(CollectionKind.Array, array.ElementType, "new " + list + "()", "{0}.Add({1})", "{0}.ToArray()");
        }

        if (type is not INamedTypeSymbol named || named.SpecialType == SpecialType.System_String)
        {
            return null;
        }

        if (named.IsGenericType)
        {
            var args = named.TypeArguments;
            var self = named.ToDisplayString(FullyQualified);
            switch (named.OriginalDefinition.ToDisplayString())
            {
                case "System.Collections.Generic.List<T>":
                case "System.Collections.Generic.IList<T>":
                case "System.Collections.Generic.IReadOnlyList<T>":
                    // Indexed through the interface too: no enumerator to box, whatever list is behind it.
                    return Sequence(
                        CollectionKind.Indexed,
                        args[0], "new " + ListOf(args[0]) + "()", "{0}.Add({1})", "{0}");
                case "System.Collections.Generic.ICollection<T>":
                case "System.Collections.Generic.IEnumerable<T>":
                case "System.Collections.Generic.IReadOnlyCollection<T>":
                    return Sequence(CollectionKind.Interface, args[0], "new " + ListOf(args[0]) + "()", "{0}.Add({1})", "{0}");
                case "System.Collections.Generic.HashSet<T>":
                case "System.Collections.Generic.SortedSet<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "new " + self + "()", "{0}.Add({1})", "{0}");
                case "System.Collections.Generic.IReadOnlySet<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "null!", "", "{0}") with
                    {
                        Problem = "System.Text.Json writes IReadOnlySet<T> but cannot read it back (it cannot create one), so it would not read what was stored; declare the member as ISet<T> or HashSet<T>",
                    };
                case "System.Collections.Generic.ISet<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "new global::System.Collections.Generic.HashSet<" + Fq(args[0]) + ">()", "{0}.Add({1})", "{0}");
                case "System.Collections.Generic.LinkedList<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "new " + self + "()", "{0}.AddLast({1})", "{0}");
                case "System.Collections.Generic.Queue<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "new " + self + "()", "{0}.Enqueue({1})", "{0}");
                case "System.Collections.Generic.Stack<T>":
                case "System.Collections.Concurrent.ConcurrentStack<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "new " + self + "()", "{0}.Push({1})", "{0}");
                case "System.Collections.Concurrent.ConcurrentQueue<T>":
                    return Sequence(CollectionKind.Enumerated, args[0], "new " + self + "()", "{0}.Enqueue({1})", "{0}");
                case "System.Collections.Immutable.ImmutableArray<T>":
                    return ImmutableSequence(args[0], "ImmutableArray");
                case "System.Collections.Immutable.ImmutableList<T>":
                case "System.Collections.Immutable.IImmutableList<T>":
                    return ImmutableSequence(args[0], "ImmutableList");
                case "System.Collections.Immutable.ImmutableHashSet<T>":
                case "System.Collections.Immutable.IImmutableSet<T>":
                    return ImmutableSequence(args[0], "ImmutableHashSet");
                case "System.Collections.Immutable.ImmutableSortedSet<T>":
                    return ImmutableSequence(args[0], "ImmutableSortedSet");
                case "System.Collections.Immutable.ImmutableQueue<T>":
                case "System.Collections.Immutable.IImmutableQueue<T>":
                    return ImmutableSequence(args[0], "ImmutableQueue");
                case "System.Collections.Immutable.ImmutableStack<T>":
                case "System.Collections.Immutable.IImmutableStack<T>":
                    return ImmutableSequence(args[0], "ImmutableStack");
                case "System.Collections.Generic.Dictionary<TKey, TValue>":
                case "System.Collections.Generic.SortedDictionary<TKey, TValue>":
                case "System.Collections.Generic.SortedList<TKey, TValue>":
                    return Map(CollectionKind.Enumerated, args[0], args[1], "new " + self + "()", "{0}[{2}] = {1}", "{0}");
                case "System.Collections.Generic.IDictionary<TKey, TValue>":
                case "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>":
                    return Map(CollectionKind.Interface, args[0], args[1], "new " + DictionaryOf(args[0], args[1]) + "()", "{0}[{2}] = {1}", "{0}");
                case "System.Collections.Immutable.ImmutableDictionary<TKey, TValue>":
                case "System.Collections.Immutable.IImmutableDictionary<TKey, TValue>":
                    return Map(CollectionKind.Enumerated, args[0], args[1], "new " + DictionaryOf(args[0], args[1]) + "()", "{0}[{2}] = {1}", Immutable + "ImmutableDictionary.CreateRange({0})");
                case "System.Collections.Immutable.ImmutableSortedDictionary<TKey, TValue>":
                    return Map(CollectionKind.Enumerated, args[0], args[1], "new " + DictionaryOf(args[0], args[1]) + "()", "{0}[{2}] = {1}", Immutable + "ImmutableSortedDictionary.CreateRange({0})");
            }
        }

        return ClassifyByInterfaces(named);
    }

    /// <summary>Any other type that implements a generic collection interface, filled through it.</summary>
    private static CollectionShape? ClassifyByInterfaces(INamedTypeSymbol type)
    {
        INamedTypeSymbol? dictionary = null, readOnlyDictionary = null, collection = null, enumerable = null;
        foreach (var candidate in type.AllInterfaces)
        {
            switch (candidate.OriginalDefinition.SpecialType)
            {
                case SpecialType.System_Collections_Generic_ICollection_T:
                    collection ??= candidate;
                    continue;
                case SpecialType.System_Collections_Generic_IEnumerable_T:
                    enumerable ??= candidate;
                    continue;
            }

            switch (candidate.OriginalDefinition.ToDisplayString())
            {
                case "System.Collections.Generic.IDictionary<TKey, TValue>":
                    dictionary ??= candidate;
                    break;
                case "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>":
                    readOnlyDictionary ??= candidate;
                    break;
            }
        }

        var self = type.ToDisplayString(FullyQualified);
        var canCreate = !type.IsAbstract && type.TypeKind is TypeKind.Class or TypeKind.Struct &&
                        type.InstanceConstructors.Any(static c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public);
        var noConstructor = canCreate ? null : "it is a collection without a public parameterless constructor, so it cannot be created when reading; use List<T>, Dictionary<TKey, TValue> or an immutable collection";
        if (dictionary is not null)
        {
            var key = dictionary.TypeArguments[0];
            var value = dictionary.TypeArguments[1];
            return Map(CollectionKind.Enumerated, key, value, "new " + self + "()", "((" + Fq(dictionary) + "){0})[{2}] = {1}", "{0}") is var map && noConstructor is not null ? map with { Problem = noConstructor } : map;
        }

        if (readOnlyDictionary is not null)
        {
            return Map(CollectionKind.Enumerated, readOnlyDictionary.TypeArguments[0], readOnlyDictionary.TypeArguments[1], "null!", "", "{0}") with
            {
                Problem = "it implements IReadOnlyDictionary<TKey, TValue> but not IDictionary<TKey, TValue>, so it could be written but not filled when reading; use Dictionary<TKey, TValue> or an immutable dictionary",
            };
        }

        if (collection is not null)
        {
            var element = collection.TypeArguments[0];
            return Sequence(CollectionKind.Enumerated, element, "new " + self + "()", "((" + Fq(collection) + "){0}).Add({1})", "{0}") with { Problem = noConstructor };
        }

        if (enumerable is not null)
        {
            return Sequence(CollectionKind.Enumerated, enumerable.TypeArguments[0], "null!", "", "{0}") with
            {
                Problem = "it implements IEnumerable<T> but not ICollection<T>, so System.Text.Json writes it as an array that cannot be read back; use List<T>, an array or an immutable collection",
            };
        }

        return null;
    }

    private static CollectionShape Sequence(CollectionKind kind, ITypeSymbol element, string create, string add, string finish) =>
        new(TypeShape.Collection, kind, element, null, new CollectionModel(create, add, finish), null);

    private static CollectionShape ImmutableSequence(ITypeSymbol element, string factory) =>
        Sequence(CollectionKind.Enumerated, element, "new " + ListOf(element) + "()", "{0}.Add({1})", Immutable + factory + ".CreateRange({0})");

    private static CollectionShape Map(CollectionKind kind, ITypeSymbol key, ITypeSymbol value, string create, string add, string finish) =>
        new(TypeShape.Dictionary, kind, value, key, new CollectionModel(create, add, finish), KeyProblem(key));

    /// <summary>Why <paramref name="key"/> cannot be a dictionary key, or null: strings, the built-in scalars and enums can.</summary>
    private static string? KeyProblem(ITypeSymbol key)
    {
        if (key.TypeKind == TypeKind.Enum || key.TypeKind == TypeKind.Error)
        {
            return null;
        }

        return GetBuiltIn(key) switch
        {
            BuiltInKind.None or BuiltInKind.ByteArray or BuiltInKind.JsonElement or BuiltInKind.JsonDocument or BuiltInKind.JsonNode or
                BuiltInKind.JsonObject or BuiltInKind.JsonArray or BuiltInKind.JsonValue =>
                $"dictionary keys must be string, a number, bool, char, Guid, a date or time type, Uri, Version or an enum, as System.Text.Json writes them as property names; '{Name(key)}' is not",
            _ => null,
        };
    }

    private static string ListOf(ITypeSymbol element) => "global::System.Collections.Generic.List<" + Fq(element) + ">";

    private static string DictionaryOf(ITypeSymbol key, ITypeSymbol value) => "global::System.Collections.Generic.Dictionary<" + Fq(key) + ", " + Fq(value) + ">";

    private static string Fq(ITypeSymbol type) => Normalize(type).ToDisplayString(FullyQualified);

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

        if (type is INamedTypeSymbol { IsUnboundGenericType: true } unbound)
        {
            return $"'{unbound.ToDisplayString()}' is an open generic type; register each closed type you store, such as [Payload(typeof({unbound.Name}<int>))]";
        }

        if (type.IsStatic)
        {
            return "a static class has no instances to store; register the type whose instances you store";
        }

        if (GetNullableUnderlying(type) is { } underlying)
        {
            return Unsupported(underlying);
        }

        if (type is IArrayTypeSymbol { Rank: > 1 })
        {
            return "multi-dimensional arrays are not supported; use a jagged array (T[][]) or List<List<T>>";
        }

        if (ClassifyCollection(type) is { } collection)
        {
            if (collection.Problem is not null)
            {
                return collection.Problem;
            }

            if (collection.Key is { } key && Unsupported(key) is { } keyReason)
            {
                return keyReason;
            }

            return Unsupported(collection.Element);
        }

        if (type.SpecialType == SpecialType.System_Object)
        {
            return "object could hold anything and would not read back as what was written; use a concrete type, or JsonElement/JsonNode for free-form JSON";
        }

        if (type.TypeKind == TypeKind.Interface)
        {
            return $"the interface '{Name(type)}' has no single type to create when reading; use a concrete class, or a collection interface such as IReadOnlyList<T>, ISet<T> or IReadOnlyDictionary<TKey, TValue>";
        }

        if (type.IsRefLikeType)
        {
            return "ref struct types are not serializable";
        }

        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return "only classes, structs, records, enums, the built-in types and collections are payload types";
        }

        if (type is INamedTypeSymbol { IsTupleType: true } || IsValueTuple(type) || IsKeyValuePair(type))
        {
            return null;
        }

        var ns = type.ContainingNamespace?.ToDisplayString() ?? "";
        if (ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal) || ns == "Microsoft" || ns.StartsWith("Microsoft.", System.StringComparison.Ordinal))
        {
            return $"the framework type '{Name(type)}' has no payload serializer (docs/payloads.md lists the supported types); " +
                   "store what you need of it in a class or record of your own";
        }

        return null;
    }

    /// <summary>KeyValuePair&lt;K, V&gt;: an object of <c>Key</c> and <c>Value</c> (after the naming policy), read through its constructor.</summary>
    private static bool IsKeyValuePair(ITypeSymbol type) =>
        type is INamedTypeSymbol { IsGenericType: true, Name: "KeyValuePair", ContainingNamespace: { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } };

    private static bool IsValueTuple(ITypeSymbol type) =>
        type is INamedTypeSymbol { IsGenericType: true, Name: "ValueTuple", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };
}
