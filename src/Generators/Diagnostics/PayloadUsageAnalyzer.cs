using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using NativeAotPersistence.Generators.Model;
using NativeAotPersistence.Generators.Parsing;

namespace NativeAotPersistence.Generators.Diagnostics;

/// <summary>
/// Warns (NAP0011) at a generic provider call whose payload type is neither built in nor registered by a
/// <c>[Payload]</c> context of the compilation: the call would throw <c>PayloadTypeNotRegisteredException</c> at run time.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PayloadUsageAnalyzer : DiagnosticAnalyzer
{
    private static readonly (string Interface, string[] Methods)[] Targets =
    [
        ("NativeAotPersistence.ICacheProvider", ["GetAsync", "TryGetAsync", "SetAsync", "AddAsync"]),
        ("NativeAotPersistence.ICheckpointProvider", ["SaveAsync", "LoadLatestAsync", "LoadAsync", "ListAsync"]),
        ("NativeAotPersistence.IIdempotencyProvider", ["GetAsync", "SetAsync", "ExecuteOnceAsync"]),
    ];

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UnregisteredPayloadType);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var compilation = start.Compilation;
            var interfaces = new List<(INamedTypeSymbol Interface, string[] Methods)>();
            foreach (var (name, methods) in Targets)
            {
                if (compilation.GetTypeByMetadataName(name) is { } symbol)
                {
                    interfaces.Add((symbol, methods));
                }
            }

            var typeInfo = compilation.GetTypeByMetadataName("NativeAotPersistence.PayloadTypeInfo`1");
            if (interfaces.Count == 0 || typeInfo is null)
            {
                return;
            }

            // Collected once per compilation, and only when a provider call is actually seen.
            var registered = new Lazy<HashSet<ITypeSymbol>>(() => CollectRegistered(compilation, start.CancellationToken), LazyThreadSafetyMode.ExecutionAndPublication);
            start.RegisterOperationAction(operation => Analyze(operation, interfaces, typeInfo, registered), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, List<(INamedTypeSymbol Interface, string[] Methods)> interfaces, INamedTypeSymbol typeInfo, Lazy<HashSet<ITypeSymbol>> registered)
    {
        var method = ((IInvocationOperation)context.Operation).TargetMethod;
        if (!method.IsGenericMethod || method.TypeArguments.Length != 1 || !IsProviderMethod(method, interfaces))
        {
            return;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.Type is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, typeInfo))
            {
                return;
            }
        }

        var type = method.TypeArguments[0];
        if (type.TypeKind is TypeKind.TypeParameter or TypeKind.Error || TypeWalker.IsBuiltIn(type))
        {
            return;
        }

        var normalized = type.IsReferenceType ? type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : type;
        if (registered.Value.Contains(normalized))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnregisteredPayloadType, context.Operation.Syntax.GetLocation(), TypeWalker.Name(normalized)));
    }

    private static bool IsProviderMethod(IMethodSymbol method, List<(INamedTypeSymbol Interface, string[] Methods)> interfaces)
    {
        var containing = method.ContainingType;
        foreach (var (symbol, methods) in interfaces)
        {
            if (Array.IndexOf(methods, method.Name) < 0)
            {
                continue;
            }

            if (SymbolEqualityComparer.Default.Equals(containing, symbol) ||
                containing.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, symbol)))
            {
                return true;
            }
        }

        return false;
    }

    private static HashSet<ITypeSymbol> CollectRegistered(Compilation compilation, CancellationToken cancellationToken)
    {
        var result = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = stack.Pop();
            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    stack.Push(ns);
                }
                else if (member is INamedTypeSymbol type)
                {
                    stack.Push(type);
                    AddContext(type, result, cancellationToken);
                }
            }
        }

        return result;
    }

    private static void AddContext(INamedTypeSymbol type, HashSet<ITypeSymbol> result, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class || !ContextParser.DerivesFromPayloadContext(type))
        {
            return;
        }

        var walker = new TypeWalker(type.Name, NamingPolicies.CamelCase, enumsAsNumbers: false, type.ContainingAssembly, new List<DiagnosticInfo>(), cancellationToken);
        var any = false;
        foreach (var (root, _, location) in ContextParser.GetRoots(type, cancellationToken))
        {
            any |= walker.DeclareRoot(root, walker.ReserveName(TypeWalker.TypeName(root)), location, type.Name);
        }

        if (!any)
        {
            return;
        }

        walker.Walk();
        foreach (var symbol in walker.Symbols)
        {
            result.Add(symbol);
        }
    }
}
