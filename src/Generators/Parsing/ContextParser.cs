using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NativeAotPersistence.Generators.Diagnostics;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Parsing;

/// <summary>Turns a <c>[Payload]</c>-annotated class into a <see cref="ParseResult"/>: plain model plus diagnostics.</summary>
internal static class ContextParser
{
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol symbol || context.TargetNode is not TypeDeclarationSyntax syntax)
        {
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        // A partial class with [Payload] on several declarations is generated once, for its first attributed declaration.
        var first = symbol.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .FirstOrDefault(static d => d.AttributeLists.Count > 0);
        if (first is not null && first != syntax)
        {
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var diagnostics = new List<DiagnosticInfo>();
        var classLocation = syntax.Identifier.GetLocation();
        var model = ParseCore(symbol, classLocation, diagnostics, cancellationToken);
        return new ParseResult(model, diagnostics.ToEquatableArray());
    }

    private static ContextModel? ParseCore(INamedTypeSymbol symbol, Location classLocation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (!DerivesFromPayloadContext(symbol))
        {
            diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.ContextNotPayloadContext, classLocation, symbol.Name));
            return null;
        }

        var isPartial = symbol.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .All(static d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
        if (!isPartial)
        {
            diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.ContextNotPartial, classLocation, symbol.Name));
            return null;
        }

        if (symbol.ContainingType is not null || symbol.IsGenericType)
        {
            diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.ContextMustBeTopLevel, classLocation, symbol.Name));
            return null;
        }

        var policy = NamingPolicies.CamelCase;
        var enumsAsNumbers = false;
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != KnownNames.PayloadOptionsAttribute)
            {
                continue;
            }

            foreach (var named in attribute.NamedArguments)
            {
                switch (named.Key)
                {
                    case "NamingPolicy" when named.Value.Value is int value:
                        policy = value;
                        break;
                    case "EnumsAsNumbers" when named.Value.Value is bool value:
                        enumsAsNumbers = value;
                        break;
                }
            }
        }

        var walker = new TypeWalker(symbol.Name, policy, enumsAsNumbers, symbol.ContainingAssembly, diagnostics, cancellationToken);
        AddRoots(symbol, walker, diagnostics, cancellationToken);

        var ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var hintName = (ns.Length == 0 ? "" : ns + ".") + symbol.Name + ".g.cs";
        return new ContextModel(ns, symbol.Name, hintName, enumsAsNumbers, walker.ToModels());
    }

    private static void AddRoots(INamedTypeSymbol symbol, TypeWalker walker, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var seenTypes = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var names = new Dictionary<string, ITypeSymbol>(StringComparer.Ordinal);
        foreach (var (type, explicitName, location) in GetRoots(symbol, cancellationToken))
        {
            var normalized = type.IsReferenceType ? type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : type;
            if (!seenTypes.Add(normalized))
            {
                diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.DuplicateRoot, location, TypeWalker.Name(type), symbol.Name));
                continue;
            }

            var name = explicitName ?? TypeWalker.TypeName(type);
            if (names.TryGetValue(name, out var other))
            {
                diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.RootPropertyNameCollision, location, TypeWalker.Name(other), TypeWalker.Name(type), name));
            }
            else
            {
                names.Add(name, type);
            }

            walker.DeclareRoot(normalized, walker.ReserveName(name), location, symbol.Name);
        }

        walker.Walk();
    }

    /// <summary>The <c>[Payload]</c> roots of a context, in declaration order.</summary>
    public static IEnumerable<(ITypeSymbol Type, string? PropertyName, Location? Location)> GetRoots(INamedTypeSymbol symbol, CancellationToken cancellationToken)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != KnownNames.PayloadAttribute ||
                attribute.ConstructorArguments.Length != 1 ||
                attribute.ConstructorArguments[0].Value is not ITypeSymbol type)
            {
                continue;
            }

            string? propertyName = null;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "PropertyName" && named.Value.Value is string value && value.Length > 0)
                {
                    propertyName = value;
                }
            }

            yield return (type, propertyName, attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation());
        }
    }

    public static bool DerivesFromPayloadContext(INamedTypeSymbol symbol)
    {
        for (var current = symbol.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == KnownNames.PayloadContext)
            {
                return true;
            }
        }

        return false;
    }
}
