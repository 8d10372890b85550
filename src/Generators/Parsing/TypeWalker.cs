using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Parsing;

/// <summary>
/// Classifies payload types and walks everything reachable from the roots (members, elements, values), building the
/// plain <see cref="TypeModel"/>s and collecting diagnostics. Shared by the generator and the analyzer.
/// </summary>
internal sealed partial class TypeWalker
{
    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat;

    public static readonly SymbolDisplayFormat Annotated = SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(
        SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static readonly SymbolDisplayFormat Display = SymbolDisplayFormat.CSharpErrorMessageFormat.RemoveMiscellaneousOptions(
        SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly string[] ReservedNames =
    [
        "Default", "GetTypeInfo", "GetType", "ToString", "Equals", "GetHashCode", "MemberwiseClone", "Finalize", "Combine", "ReferenceEquals",
    ];

    private readonly Dictionary<ITypeSymbol, Entry> _entries = new(SymbolEqualityComparer.Default);
    private readonly List<Entry> _created = [];
    private readonly Queue<Entry> _pending = new();
    private readonly Dictionary<ITypeSymbol, string> _rootNames = new(SymbolEqualityComparer.Default);
    private readonly List<(ITypeSymbol Type, Location? Location)> _rootOrder = [];
    private readonly HashSet<string> _usedIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _typeIds = new(StringComparer.Ordinal);
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly int _namingPolicy;
    private readonly bool _enumsAsNumbers;
    private readonly IAssemblySymbol? _assembly;
    private readonly CancellationToken _cancellationToken;

    public TypeWalker(string contextName, int namingPolicy, bool enumsAsNumbers, IAssemblySymbol? assembly, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        _namingPolicy = namingPolicy;
        _enumsAsNumbers = enumsAsNumbers;
        _assembly = assembly;
        _diagnostics = diagnostics;
        _cancellationToken = cancellationToken;
        _usedIds.Add(contextName);
        foreach (var name in ReservedNames)
        {
            _usedIds.Add(name);
        }
    }

    /// <summary>Every type registered so far, roots and reachable.</summary>
    public IEnumerable<ITypeSymbol> Symbols => _entries.Keys;

    /// <summary>Returns a property name for <paramref name="name"/> that no other generated member uses.</summary>
    public string ReserveName(string name)
    {
        var candidate = name;
        for (var i = 2; !_usedIds.Add(candidate); i++)
        {
            candidate = name + i.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    /// <summary>A unique id for a type's generated class and file: letters, digits and '_' only.</summary>
    private string ReserveId(string name)
    {
        var candidate = name;
        for (var i = 2; !_typeIds.Add(candidate); i++)
        {
            candidate = name + "_" + i.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    /// <summary>Declares a root with its property name. Returns false (after reporting NAP0003) when the type is not supported.</summary>
    public bool DeclareRoot(ITypeSymbol type, string propertyName, Location? location, string contextName)
    {
        type = Normalize(type);
        if (type.TypeKind == TypeKind.Error)
        {
            return false;
        }

        if (Unsupported(type) is { } reason)
        {
            _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.UnsupportedType, location, Name(type), "[Payload] on " + contextName, reason));
            return false;
        }

        if (_rootNames.ContainsKey(type))
        {
            return true;
        }

        _rootNames.Add(type, propertyName);
        _rootOrder.Add((type, location));
        return true;
    }

    /// <summary>Creates the declared roots and walks everything reachable from them.</summary>
    public void Walk()
    {
        foreach (var (type, location) in _rootOrder)
        {
            if (!_entries.ContainsKey(type))
            {
                Create(type, location);
            }
        }

        Drain();
    }

    private void Drain()
    {
        while (_pending.Count > 0)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var entry = _pending.Dequeue();
            entry.Object = BuildObject(entry);
        }
    }

    /// <summary>The models: roots in registration order, then reachable types ordered by name.</summary>
    public EquatableArray<TypeModel> ToModels()
    {
        var roots = _rootOrder.Select(r => _entries[r.Type]);
        var reachable = _created.Where(static e => !e.IsRoot).OrderBy(static e => e.FullyQualifiedName, StringComparer.Ordinal);
        return roots.Concat(reachable).Select(static e => e.ToModel()).ToEquatableArray();
    }

    /// <summary>Returns the id of <paramref name="type"/>'s model, creating it, or null (after reporting NAP0003) when unsupported.</summary>
    public string? Resolve(ITypeSymbol type, Location? location, string memberName)
    {
        type = Normalize(type);
        if (type.TypeKind == TypeKind.Error)
        {
            return null;
        }

        if (_entries.TryGetValue(type, out var existing))
        {
            return existing.Id;
        }

        if (Unsupported(type) is { } reason)
        {
            _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.UnsupportedType, location, Name(type), memberName, reason));
            return null;
        }

        return Create(type, location).Id;
    }

    public static string Name(ITypeSymbol type) => type.ToDisplayString(Display);

    private static ITypeSymbol Normalize(ITypeSymbol type)
    {
        // (int a, string b) and (int, string) are one type: element names are not in metadata, and JSON uses Item1, Item2.
        if (type is INamedTypeSymbol { IsTupleType: true, TupleUnderlyingType: { } underlying })
        {
            type = underlying;
        }

        return type.IsReferenceType ? type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : type;
    }

    /// <summary>
    /// Reports an error about <paramref name="entry"/> (or one of its members) and refuses the type: its generated
    /// serializer throws with the same message, so suppressing the error never drops data silently.
    /// </summary>
    private void Refuse(Entry entry, DiagnosticDescriptor descriptor, Location? location, params string[] args)
    {
        var info = DiagnosticFactory.Create(descriptor, location, args);
        _diagnostics.Add(info);
        if (descriptor.DefaultSeverity == DiagnosticSeverity.Error && entry.Refusal is null)
        {
            entry.Refusal = DiagnosticText.Format(info);
        }
    }

    private Entry Create(ITypeSymbol type, Location? location)
    {
        type = Normalize(type);
        _rootNames.TryGetValue(type, out var rootPropertyName);
        var builtIn = GetBuiltIn(type);
        var entry = new Entry(type)
        {
            FullyQualifiedName = type.ToDisplayString(FullyQualified),
            DisplayName = Name(type),
            BuiltIn = builtIn,
            FirstLocation = location,
            IsPublic = IsPublic(type),
            IsRoot = rootPropertyName is not null,
        };
        _entries.Add(type, entry);
        _created.Add(entry);

        if (builtIn != BuiltInKind.None)
        {
            entry.Shape = TypeShape.BuiltIn;
        }
        else if (type.TypeKind == TypeKind.Enum)
        {
            entry.Shape = TypeShape.Enum;
            entry.Enum = BuildEnum(entry, (INamedTypeSymbol)type, location);
        }
        else if (GetNullableUnderlying(type) is { } underlying)
        {
            entry.Shape = TypeShape.Nullable;
            SetElement(entry, underlying, location);
        }
        else if (ClassifyCollection(type) is { } collection)
        {
            entry.Shape = collection.Shape;
            entry.CollectionKind = collection.Kind;
            entry.Collection = collection.Model;
            if (collection.Key is not null)
            {
                entry.KeyId = Resolve(collection.Key, location, entry.DisplayName);
                entry.KeyFullyQualifiedName = Normalize(collection.Key).ToDisplayString(FullyQualified);
            }

            // A collection with a Problem never gets here: Unsupported() reports it where the type is used.
            SetElement(entry, collection.Element, location);
        }
        else
        {
            entry.Shape = TypeShape.Object;
            _pending.Enqueue(entry);
        }

        var hasProperty = rootPropertyName is not null ||
                          !(entry.Shape == TypeShape.BuiltIn ||
                            (entry.Shape == TypeShape.Nullable && GetBuiltIn(GetNullableUnderlying(type)!) != BuiltInKind.None));
        entry.PropertyName = rootPropertyName ?? (hasProperty ? ReserveName(Identifiers.Escape(TypeName(type))) : null);
        entry.Id = ReserveId(entry.PropertyName is null ? "BuiltIn" + TypeName(type) : TypeName(type));
        return entry;
    }

    private void SetElement(Entry entry, ITypeSymbol element, Location? location)
    {
        entry.ElementId = Resolve(element, location, entry.DisplayName);
        entry.ElementFullyQualifiedName = Normalize(element).ToDisplayString(FullyQualified);
    }

    /// <summary>
    /// The key the generated <c>GetTypeInfo</c> dispatches on, computed from the type's simple metadata name and those of its
    /// type arguments, exactly as <c>PayloadJson.TypeKey</c> computes it from a <c>System.Type</c> at run time: finding a
    /// type then loads only the few types that share its key, not every type of the context.
    /// </summary>
    public static string LookupKey(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return LookupKey(array.ElementType) + "[]";
            case INamedTypeSymbol named:
                if (named.IsTupleType && named.TupleUnderlyingType is { } underlying)
                {
                    named = underlying;
                }

                var arguments = new List<ITypeSymbol>();
                for (var current = named; current is not null; current = current.ContainingType)
                {
                    arguments.InsertRange(0, current.TypeArguments);
                }

                return arguments.Count == 0 ? named.MetadataName : named.MetadataName + "<" + string.Join(",", arguments.Select(LookupKey)) + ">";
            default:
                return type.MetadataName;
        }
    }

    /// <summary>A name for generated members: <c>List&lt;OrderLine&gt;</c> is <c>ListOrderLine</c>, <c>int?</c> is <c>NullableInt32</c>.</summary>
    public static string TypeName(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return TypeName(array.ElementType) + "Array";
            case INamedTypeSymbol named when GetNullableUnderlying(named) is { } underlying:
                return "Nullable" + TypeName(underlying);
            case INamedTypeSymbol named:
                var name = Identifiers.Sanitize(named.Name);
                foreach (var argument in named.TypeArguments)
                {
                    name += TypeName(argument);
                }

                return name;
            default:
                return new string(type.Name.Where(static c => char.IsLetterOrDigit(c) || c == '_').ToArray());
        }
    }

    private static bool IsPublic(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return IsPublic(array.ElementType);
            case INamedTypeSymbol named:
                for (ISymbol? s = named; s is INamedTypeSymbol t; s = s.ContainingType)
                {
                    if (t.DeclaredAccessibility != Accessibility.Public)
                    {
                        return false;
                    }
                }

                return named.TypeArguments.All(IsPublic);
            default:
                return false;
        }
    }

    private static Location? SourceLocation(ISymbol symbol) => symbol.Locations.FirstOrDefault(static l => l.IsInSource);

    private sealed class Entry(ITypeSymbol symbol)
    {
        public ITypeSymbol Symbol { get; } = symbol;

        public string Id { get; set; } = "";

        public string FullyQualifiedName { get; set; } = "";

        public string DisplayName { get; set; } = "";

        public string? PropertyName { get; set; }

        public bool IsRoot { get; set; }

        public bool IsPublic { get; set; }

        public Location? FirstLocation { get; set; }

        public TypeShape Shape { get; set; }

        public BuiltInKind BuiltIn { get; set; }

        public string? ElementId { get; set; }

        public string? ElementFullyQualifiedName { get; set; }

        public CollectionKind CollectionKind { get; set; }

        public CollectionModel? Collection { get; set; }

        public string? KeyId { get; set; }

        public string? KeyFullyQualifiedName { get; set; }

        public string? Refusal { get; set; }

        public EnumModel? Enum { get; set; }

        public ObjectModel? Object { get; set; }

        public TypeModel ToModel() => new(
            Id,
            FullyQualifiedName,
            DisplayName,
            PropertyName,
            IsPublic,
            Symbol.IsReferenceType,
            Shape,
            BuiltIn,
            ElementId,
            ElementFullyQualifiedName,
            KeyId,
            KeyFullyQualifiedName,
            CollectionKind,
            Collection,
            Enum,
            Object,
            Refusal,
            LookupKey(Symbol));
    }
}
