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
        foreach (var attribute in type.GetAttributes())
        {
            switch (attribute.AttributeClass?.ToDisplayString())
            {
                case KnownNames.JsonConverter:
                    _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.JsonConverterUnsupported, typeLocation, entry.DisplayName));
                    break;
                case KnownNames.JsonDerivedType:
                    _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.PolymorphismUnsupported, typeLocation, entry.DisplayName, "JsonDerivedType"));
                    break;
                case KnownNames.JsonPolymorphic:
                    _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.PolymorphismUnsupported, typeLocation, entry.DisplayName, "JsonPolymorphic"));
                    break;
            }
        }

        var candidates = CollectMembers(entry, type);
        var constructor = SelectConstructor(type, out var problem);
        var setsRequiredMembers = constructor?.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownNames.SetsRequiredMembers) == true;

        var arguments = new List<ConstructorArgument>();
        var boundToConstructor = new Dictionary<MemberCandidate, string>();
        if (constructor is not null)
        {
            foreach (var parameter in constructor.Parameters)
            {
                var match = candidates.FirstOrDefault(c =>
                    string.Equals(c.Symbol.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) &&
                    SymbolEqualityComparer.Default.Equals(Normalize(c.Type), Normalize(parameter.Type)));
                if (match is null)
                {
                    problem = $"the constructor parameter '{parameter.Name}' does not match a public property or field by name and type";
                    break;
                }

                boundToConstructor[match] = Literals.DefaultValue(parameter);
            }
        }

        if (problem is not null)
        {
            _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.NoUsableConstructor, typeLocation, entry.DisplayName, problem));
        }

        var members = new List<MemberModel>();
        var jsonNames = new Dictionary<string, MemberCandidate>(StringComparer.Ordinal);
        foreach (var candidate in candidates.OrderBy(static c => c.Order))
        {
            if (jsonNames.TryGetValue(candidate.JsonName, out var first))
            {
                _diagnostics.Add(DiagnosticFactory.Create(
                    DiagnosticDescriptors.JsonNameCollision,
                    candidate.Location,
                    first.Symbol.Name,
                    candidate.Symbol.Name,
                    entry.DisplayName,
                    candidate.JsonName));
                continue;
            }

            jsonNames.Add(candidate.JsonName, candidate);
            var isRequiredKeyword = candidate.Symbol is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true };
            var needsInitializer = isRequiredKeyword && !setsRequiredMembers;
            MemberSetter setter;
            if (boundToConstructor.TryGetValue(candidate, out var defaultValue))
            {
                setter = MemberSetter.Constructor;
                arguments.Add(new ConstructorArgument(members.Count, defaultValue));
            }
            else if (!candidate.CanRead)
            {
                setter = MemberSetter.None;
            }
            else if (needsInitializer)
            {
                setter = MemberSetter.Initializer;
            }
            else
            {
                setter = candidate.Symbol is IPropertySymbol { SetMethod.IsInitOnly: true } ? MemberSetter.InitAccessor : MemberSetter.Assign;
            }

            members.Add(new MemberModel(
                candidate.Symbol.Name,
                candidate.JsonName,
                candidate.TypeId,
                candidate.Type.ToDisplayString(Annotated),
                candidate.CanWrite,
                candidate.Condition,
                setter,
                setter != MemberSetter.None && (candidate.JsonRequired || needsInitializer),
                candidate.Symbol is IFieldSymbol,
                candidate.Symbol.ContainingType.ToDisplayString(FullyQualified)));
        }

        // Constructor arguments in parameter order.
        var ordered = new List<ConstructorArgument>();
        if (constructor is not null && problem is null)
        {
            foreach (var parameter in constructor.Parameters)
            {
                var index = members.FindIndex(m => m.Setter == MemberSetter.Constructor && string.Equals(m.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                ordered.Add(arguments.First(a => a.MemberIndex == index));
            }
        }

        return new ObjectModel(type.IsValueType, members.ToEquatableArray(), ordered.ToEquatableArray(), problem is null);
    }

    private List<MemberCandidate> CollectMembers(Entry entry, INamedTypeSymbol type)
    {
        // System.Text.Json's order: the most derived type first, per type its properties then its fields, then [JsonPropertyOrder].
        var result = new List<MemberCandidate>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public || property.RefKind != RefKind.None || !seen.Add(property.Name))
                {
                    continue;
                }

                var canWrite = property.GetMethod is { DeclaredAccessibility: Accessibility.Public };
                var canRead = property.SetMethod is { DeclaredAccessibility: Accessibility.Public };
                AddCandidate(entry, result, property, property.Type, canWrite, canRead);
            }

            foreach (var field in current.GetMembers().OfType<IFieldSymbol>())
            {
                if (field.IsStatic || field.IsConst || field.IsImplicitlyDeclared || field.DeclaredAccessibility != Accessibility.Public || !seen.Add(field.Name))
                {
                    continue;
                }

                AddCandidate(entry, result, field, field.Type, canWrite: true, canRead: !field.IsReadOnly);
            }
        }

        return result;
    }

    private void AddCandidate(Entry entry, List<MemberCandidate> result, ISymbol member, ITypeSymbol memberType, bool canWrite, bool canRead)
    {
        var location = SourceLocation(member) ?? SourceLocation(entry.Symbol) ?? entry.FirstLocation;
        var memberName = entry.DisplayName + "." + member.Name;
        string? jsonName = null;
        var order = 0;
        var jsonRequired = false;
        var condition = WriteCondition.Always;
        foreach (var attribute in member.GetAttributes())
        {
            switch (attribute.AttributeClass?.ToDisplayString())
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
                            return;
                        case KnownNames.IgnoreWhenWritingDefault:
                            condition = WriteCondition.WhenNotDefault;
                            break;
                        case KnownNames.IgnoreWhenWritingNull:
                            condition = memberType.IsReferenceType || GetNullableUnderlying(memberType) is not null ? WriteCondition.WhenNotNull : WriteCondition.Always;
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
                case KnownNames.JsonExtensionData:
                    _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.ExtensionDataUnsupported, location, memberName));
                    return;
                case KnownNames.JsonConverter:
                    _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.JsonConverterUnsupported, location, memberName));
                    return;
            }
        }

        if (!canWrite && !canRead && member is IPropertySymbol)
        {
            // Still a candidate: a get-only property may bind to a constructor parameter.
        }

        var typeId = Resolve(memberType, location, memberName);
        if (typeId is null)
        {
            return;
        }

        result.Add(new MemberCandidate(member, memberType, typeId, jsonName ?? NamingPolicies.Apply(_namingPolicy, member.Name), order, jsonRequired, condition, canWrite, canRead, location));
    }

    private IMethodSymbol? SelectConstructor(INamedTypeSymbol type, out string? problem)
    {
        problem = null;
        if (type.IsAbstract)
        {
            problem = "it is abstract; register concrete types";
            return null;
        }

        var accessible = type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public ||
                        (c.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal &&
                         SymbolEqualityComparer.Default.Equals(c.ContainingAssembly, _assembly)))
            .ToList();
        var annotated = accessible.FirstOrDefault(static c => c.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownNames.JsonConstructor));
        if (annotated is not null)
        {
            return annotated;
        }

        if (type.IsValueType)
        {
            // Structs are created with their parameterless constructor unless one is marked [JsonConstructor], as System.Text.Json does.
            return null;
        }

        var publicOnes = accessible.Where(static c => c.DeclaredAccessibility == Accessibility.Public).ToList();
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
            ? "it has no public constructor; add one or mark one with [JsonConstructor]"
            : "it has several public constructors and none is parameterless or marked [JsonConstructor]";
        return null;
    }

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
