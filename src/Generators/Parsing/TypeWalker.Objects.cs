using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Parsing;

internal sealed partial class TypeWalker
{
    private ObjectModel BuildObject(Entry entry)
    {
        var type = (INamedTypeSymbol)entry.Symbol;
        var typeLocation = SourceLocation(type) ?? entry.FirstLocation;
        var disallowUnmapped = false;
        foreach (var attribute in type.GetAttributes())
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            switch (name)
            {
                case KnownNames.JsonConverter:
                    Refuse(entry, DiagnosticDescriptors.JsonConverterUnsupported, typeLocation, entry.DisplayName);
                    break;
                case KnownNames.JsonDerivedType:
                    Refuse(entry, DiagnosticDescriptors.PolymorphismUnsupported, typeLocation, entry.DisplayName, "JsonDerivedType");
                    break;
                case KnownNames.JsonPolymorphic:
                    Refuse(entry, DiagnosticDescriptors.PolymorphismUnsupported, typeLocation, entry.DisplayName, "JsonPolymorphic");
                    break;
                case KnownNames.JsonUnmappedMemberHandling:
                    disallowUnmapped = FirstArgument(attribute) == KnownNames.UnmappedDisallow;
                    break;
                default:
                    CheckOtherAttribute(entry, attribute, name, entry.DisplayName, typeLocation);
                    break;
            }
        }

        var ignored = new Dictionary<string, ISymbol>(StringComparer.OrdinalIgnoreCase);
        var dropped = new Dictionary<string, ISymbol>(StringComparer.OrdinalIgnoreCase);
        var candidates = CollectMembers(entry, type, ignored, dropped);
        var constructor = SelectConstructor(type, out var problem, out var constructorIsAccessor);
        var setsRequiredMembers = constructor?.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownNames.SetsRequiredMembers) == true;

        var boundToConstructor = new Dictionary<MemberCandidate, IParameterSymbol>();
        if (constructor is not null)
        {
            foreach (var parameter in constructor.Parameters)
            {
                var match = candidates.FirstOrDefault(c =>
                    string.Equals(c.Symbol.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) &&
                    SymbolEqualityComparer.Default.Equals(Normalize(c.Type), Normalize(parameter.Type)));
                if (match is not null)
                {
                    boundToConstructor[match] = parameter;
                    continue;
                }

                problem = ignored.TryGetValue(parameter.Name, out var ignoredMember)
                    ? $"the constructor parameter '{parameter.Name}' binds to '{ignoredMember.Name}', which is [JsonIgnore]d, so nothing would fill it; remove [JsonIgnore] or the parameter, or mark another constructor with [JsonConstructor]"
                    : dropped.TryGetValue(parameter.Name, out var droppedMember)
                        ? $"the constructor parameter '{parameter.Name}' binds to '{droppedMember.Name}', which cannot be serialized (see the error reported on it)"
                        : candidates.Any(c => string.Equals(c.Symbol.Name, parameter.Name, StringComparison.OrdinalIgnoreCase))
                            ? $"the constructor parameter '{parameter.Name}' has another type than the member of the same name; the types must match exactly"
                            : $"the constructor parameter '{parameter.Name}' matches no serialized property or field by name (case-insensitively), so nothing would fill it";
                break;
            }
        }

        if (problem is not null)
        {
            Refuse(entry, DiagnosticDescriptors.NoUsableConstructor, typeLocation, entry.DisplayName, problem);
        }

        var members = new List<MemberModel>();
        var arguments = new List<ConstructorArgument>();
        var jsonNames = new Dictionary<string, MemberCandidate>(StringComparer.Ordinal);
        foreach (var candidate in candidates.OrderBy(static c => c.Order))
        {
            if (jsonNames.TryGetValue(candidate.JsonName, out var first))
            {
                Refuse(entry, DiagnosticDescriptors.JsonNameCollision, candidate.Location, first.Symbol.Name, candidate.Symbol.Name, entry.DisplayName, candidate.JsonName);
                continue;
            }

            jsonNames.Add(candidate.JsonName, candidate);
            var isRequiredKeyword = candidate.Symbol is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true };
            var needsInitializer = isRequiredKeyword && !setsRequiredMembers;
            MemberSetter setter;
            if (boundToConstructor.ContainsKey(candidate) && problem is null)
            {
                setter = MemberSetter.Constructor;
            }
            else if (!candidate.CanRead)
            {
                setter = MemberSetter.None;
            }
            else if (needsInitializer)
            {
                setter = MemberSetter.Initializer;
            }
            else if (candidate.Symbol is IFieldSymbol field)
            {
                setter = IsAccessible(field) ? MemberSetter.Assign : MemberSetter.FieldAccessor;
            }
            else
            {
                var set = ((IPropertySymbol)candidate.Symbol).SetMethod!;
                setter = set.IsInitOnly || !IsAccessible(set) ? MemberSetter.Accessor : MemberSetter.Assign;
            }

            var getter = candidate.Symbol switch
            {
                IFieldSymbol field => IsAccessible(field) ? MemberGetter.Direct : MemberGetter.FieldAccessor,
                IPropertySymbol { GetMethod: { } get } => IsAccessible(get) ? MemberGetter.Direct : MemberGetter.Accessor,
                _ => MemberGetter.Direct,
            };

            AccessorModel? accessor = null;
            if (setter is MemberSetter.Accessor or MemberSetter.FieldAccessor || getter != MemberGetter.Direct)
            {
                accessor = CreateAccessor(entry, candidate);
                if (accessor is null)
                {
                    continue;
                }
            }

            members.Add(new MemberModel(
                Identifiers.Escape(candidate.Symbol.Name),
                candidate.Symbol.MetadataName,
                candidate.JsonName,
                candidate.TypeId,
                candidate.Type.ToDisplayString(Annotated),
                candidate.CanWrite,
                candidate.Condition,
                getter,
                setter,
                setter != MemberSetter.None && (candidate.JsonRequired || needsInitializer),
                accessor));
        }

        // Constructor arguments in parameter order.
        if (constructor is not null && problem is null)
        {
            foreach (var parameter in constructor.Parameters)
            {
                var index = members.FindIndex(m => m.Setter == MemberSetter.Constructor && string.Equals(m.MetadataName, parameter.Name, StringComparison.OrdinalIgnoreCase));
                if (index < 0)
                {
                    // Its member was refused (a JSON name collision); the type is refused with it.
                    arguments.Clear();
                    break;
                }

                arguments.Add(new ConstructorArgument(index, parameter.Type.ToDisplayString(Annotated), Literals.DefaultValue(parameter)));
            }
        }

        return new ObjectModel(type.IsValueType, members.ToEquatableArray(), arguments.ToEquatableArray(), constructorIsAccessor, disallowUnmapped);
    }

    /// <summary>Whether generated code in the context's assembly can use <paramref name="symbol"/> directly.</summary>
    private bool IsAccessible(ISymbol symbol) => symbol.DeclaredAccessibility switch
    {
        Accessibility.Public => true,
        Accessibility.Internal or Accessibility.ProtectedOrInternal => SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, _assembly),
        _ => false,
    };

    /// <summary>Where the member's UnsafeAccessors go, or null (after refusing the type) when the runtime cannot bind one.</summary>
    private AccessorModel? CreateAccessor(Entry entry, MemberCandidate candidate)
    {
        var declaring = candidate.Symbol.ContainingType;
        for (var outer = declaring.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
            {
                Refuse(entry, DiagnosticDescriptors.AttributeUnsupported, candidate.Location, "An init-only or non-public member", entry.DisplayName + "." + candidate.Symbol.Name,
                    "its type is nested in a generic type, where the generated code cannot reach the member; move the type out or make the member public and settable");
                return null;
            }
        }

        if (!declaring.IsGenericType)
        {
            return new AccessorModel(declaring.ToDisplayString(FullyQualified), candidate.Type.ToDisplayString(Annotated), "", "");
        }

        var definition = declaring.OriginalDefinition;
        var memberType = candidate.Symbol.OriginalDefinition switch
        {
            IPropertySymbol p => p.Type,
            IFieldSymbol f => f.Type,
            _ => candidate.Type,
        };
        return new AccessorModel(
            definition.ToDisplayString(FullyQualified),
            memberType.ToDisplayString(Annotated),
            string.Join(", ", definition.TypeParameters.Select(static p => p.Name)),
            string.Join(", ", declaring.TypeArguments.Select(static a => Normalize(a).ToDisplayString(Annotated))));
    }

    private List<MemberCandidate> CollectMembers(Entry entry, INamedTypeSymbol type, Dictionary<string, ISymbol> ignored, Dictionary<string, ISymbol> dropped)
    {
        // System.Text.Json's order: the most derived type first, per type its properties then its fields, then [JsonPropertyOrder].
        var result = new List<MemberCandidate>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.RefKind != RefKind.None || property.IsImplicitlyDeclared)
                {
                    continue;
                }

                var include = HasAttribute(property, KnownNames.JsonInclude);
                if ((property.DeclaredAccessibility != Accessibility.Public && !include) || !seen.Add(property.Name))
                {
                    continue;
                }

                var canWrite = property.GetMethod is { } get && (include || get.DeclaredAccessibility == Accessibility.Public);
                var canRead = property.SetMethod is { } set && (include || set.DeclaredAccessibility == Accessibility.Public);
                AddCandidate(entry, result, property, property.Type, canWrite, canRead, ignored, dropped);
            }

            foreach (var field in current.GetMembers().OfType<IFieldSymbol>())
            {
                // A value tuple's Item1... and Rest are implicitly declared in Roslyn's view of the tuple, real fields at run time.
                var tupleField = (current.IsTupleType || IsValueTuple(current)) && (field.Name == "Rest" || (field.Name.Length == 5 && field.Name.StartsWith("Item", StringComparison.Ordinal) && field.Name[4] is >= '1' and <= '7'));
                if (field.IsStatic || field.IsConst || (field.IsImplicitlyDeclared && !tupleField) || (current.IsTupleType && !tupleField))
                {
                    continue;
                }

                var include = HasAttribute(field, KnownNames.JsonInclude);
                if ((field.DeclaredAccessibility != Accessibility.Public && !include) || !seen.Add(field.Name))
                {
                    continue;
                }

                AddCandidate(entry, result, field, field.Type, canWrite: true, canRead: !field.IsReadOnly, ignored, dropped);
            }
        }

        return result;
    }

    private static bool HasAttribute(ISymbol symbol, string name) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == name);

    private static int? FirstArgument(AttributeData attribute) =>
        attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int value ? value : null;

    private void AddCandidate(
        Entry entry,
        List<MemberCandidate> result,
        ISymbol member,
        ITypeSymbol memberType,
        bool canWrite,
        bool canRead,
        Dictionary<string, ISymbol> ignored,
        Dictionary<string, ISymbol> dropped)
    {
        var location = SourceLocation(member) ?? SourceLocation(entry.Symbol) ?? entry.FirstLocation;
        var memberName = entry.DisplayName + "." + member.Name;
        string? jsonName = null;
        var order = 0;
        var jsonRequired = false;
        var condition = WriteCondition.Always;
        foreach (var attribute in member.GetAttributes())
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            switch (name)
            {
                case KnownNames.JsonIgnore:
                    var ignore = KnownNames.IgnoreAlways;
                    foreach (var named in attribute.NamedArguments)
                    {
                        if (named.Key == "Condition" && named.Value.Value is int value)
                        {
                            ignore = value;
                        }
                    }

                    switch (ignore)
                    {
                        case KnownNames.IgnoreAlways:
                            ignored[member.Name] = member;
                            return;
                        case KnownNames.IgnoreWhenWritingDefault:
                            condition = WriteCondition.WhenNotDefault;
                            break;
                        case KnownNames.IgnoreWhenWritingNull:
                            if (!memberType.IsReferenceType && GetNullableUnderlying(memberType) is null && memberType.TypeKind != TypeKind.TypeParameter)
                            {
                                // System.Text.Json refuses the type at run time ("not valid on value-type member").
                                Refuse(entry, DiagnosticDescriptors.AttributeUnsupported, location, "[JsonIgnore(Condition = WhenWritingNull)]", memberName,
                                    $"'{Name(memberType)}' is a value type that is never null, and System.Text.Json refuses the whole type; use JsonIgnoreCondition.WhenWritingDefault");
                                dropped[member.Name] = member;
                                return;
                            }

                            condition = WriteCondition.WhenNotNull;
                            break;
                        case KnownNames.IgnoreWhenWriting:
                            canWrite = false;
                            break;
                        case KnownNames.IgnoreWhenReading:
                            canRead = false;
                            break;
                    }

                    break;
                case KnownNames.JsonPropertyName when attribute.ConstructorArguments.Length == 1:
                    jsonName = attribute.ConstructorArguments[0].Value as string;
                    break;
                case KnownNames.JsonPropertyOrder when attribute.ConstructorArguments.Length == 1:
                    order = attribute.ConstructorArguments[0].Value is int o ? o : 0;
                    break;
                case KnownNames.JsonRequired:
                    jsonRequired = true;
                    break;
                case KnownNames.JsonInclude:
                    break;
                case KnownNames.JsonExtensionData:
                    Refuse(entry, DiagnosticDescriptors.ExtensionDataUnsupported, location, memberName);
                    dropped[member.Name] = member;
                    return;
                case KnownNames.JsonConverter:
                    Refuse(entry, DiagnosticDescriptors.JsonConverterUnsupported, location, memberName);
                    dropped[member.Name] = member;
                    return;
                default:
                    if (!CheckOtherAttribute(entry, attribute, name, memberName, location))
                    {
                        dropped[member.Name] = member;
                        return;
                    }

                    break;
            }
        }

        var before = _diagnostics.Count;
        var typeId = Resolve(memberType, location, memberName);
        if (typeId is null)
        {
            // The member's type is not supported: the error is reported on the member, and the type is refused with it.
            if (entry.Refusal is null && _diagnostics.Count > before)
            {
                entry.Refusal = DiagnosticText.Format(_diagnostics[_diagnostics.Count - 1]);
            }

            dropped[member.Name] = member;
            return;
        }

        result.Add(new MemberCandidate(member, memberType, typeId, jsonName ?? NamingPolicies.Apply(_namingPolicy, member.Name), order, jsonRequired, condition, canWrite, canRead, location));
    }

    /// <summary>
    /// Checks a System.Text.Json attribute the generator has no dedicated handling for: the ones that change nothing with the
    /// reference options are accepted, every other one refuses the type (never silently ignored). Returns false when refused.
    /// </summary>
    private bool CheckOtherAttribute(Entry entry, AttributeData attribute, string? name, string target, Location? location)
    {
        if (name is null || !name.StartsWith(KnownNames.SerializationNamespace, StringComparison.Ordinal))
        {
            return true;
        }

        string? reason = null;
        switch (name)
        {
            case KnownNames.JsonNumberHandling:
                if (FirstArgument(attribute) != KnownNames.NumberHandlingStrict)
                {
                    reason = "numbers are written and read strictly as JSON numbers; store the text in a string member if numbers must be strings";
                }

                break;
            case KnownNames.JsonObjectCreationHandling:
                if (FirstArgument(attribute) != KnownNames.ObjectCreationReplace)
                {
                    reason = "members are always replaced with a new value when read (Replace); populating the existing value is not supported";
                }

                break;
            case KnownNames.JsonStringEnumMemberName:
            case KnownNames.JsonSerializable:
            case KnownNames.JsonSourceGenerationOptions:
                break;
            default:
                reason = "the payload generator does not implement it, and ignoring it would store another shape than System.Text.Json";
                break;
        }

        if (reason is null)
        {
            return true;
        }

        Refuse(entry, DiagnosticDescriptors.AttributeUnsupported, location, "[" + ShortAttributeName(name) + "]", target, reason);
        return false;
    }

    private static string ShortAttributeName(string name)
    {
        var simple = name.Substring(name.LastIndexOf('.') + 1);
        return simple.EndsWith("Attribute", StringComparison.Ordinal) ? simple.Substring(0, simple.Length - "Attribute".Length) : simple;
    }

    private IMethodSymbol? SelectConstructor(INamedTypeSymbol type, out string? problem, out bool useAccessor)
    {
        problem = null;
        useAccessor = false;
        if (type.IsAbstract)
        {
            problem = "it is abstract; register concrete types";
            return null;
        }

        var annotated = type.InstanceConstructors.FirstOrDefault(static c => c.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownNames.JsonConstructor));
        if (annotated is not null)
        {
            if (IsAccessible(annotated))
            {
                return annotated;
            }

            if (type.IsGenericType || type.ContainingType?.IsGenericType == true)
            {
                problem = $"its [JsonConstructor] constructor is {AccessibilityText(annotated)}, and the generated code cannot call a non-public constructor of a generic type; make it public";
                return null;
            }

            // System.Text.Json calls a non-public [JsonConstructor]; so does the generated code, through an UnsafeAccessor.
            useAccessor = true;
            return annotated;
        }

        if (IsKeyValuePair(type))
        {
            // System.Text.Json reads a KeyValuePair through its (key, value) constructor.
            return type.InstanceConstructors.FirstOrDefault(static c => c.Parameters.Length == 2);
        }

        if (type.IsValueType)
        {
            // Structs are created with their parameterless constructor unless one is marked [JsonConstructor], as System.Text.Json does.
            return null;
        }

        var publicOnes = type.InstanceConstructors.Where(static c => c.DeclaredAccessibility == Microsoft.CodeAnalysis.Accessibility.Public).ToList();
        var parameterless = publicOnes.FirstOrDefault(static c => c.Parameters.Length == 0);
        if (parameterless is not null)
        {
            return parameterless;
        }

        if (publicOnes.Count == 1)
        {
            return publicOnes[0];
        }

        problem = publicOnes.Count == 0
            ? "it has no public constructor; add one, or mark the constructor to use with [JsonConstructor]"
            : "it has several public constructors and none is parameterless or marked [JsonConstructor]; mark the one to use";
        return null;
    }

    private static string AccessibilityText(ISymbol symbol) => symbol.DeclaredAccessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Private => "private",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal to another assembly",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        _ => "not accessible",
    };

    private sealed record MemberCandidate(
        ISymbol Symbol,
        ITypeSymbol Type,
        string TypeId,
        string JsonName,
        int Order,
        bool JsonRequired,
        WriteCondition Condition,
        bool CanWrite,
        bool CanRead,
        Location? Location);
}
