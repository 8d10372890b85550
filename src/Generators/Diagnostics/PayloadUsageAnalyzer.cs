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
/// Warns (NAP0011) at a call of a generic library method whose payload type is neither built in nor registered by a
/// <c>[Payload]</c> context of the compilation: the call would throw <c>PayloadTypeNotRegisteredException</c> at run time.
/// </summary>
/// <remarks>
/// Which methods resolve a payload type follows from the library's API, not from a list: every generic method that
/// resolves its type parameter <c>T</c> through the payload context has an overload taking a <c>PayloadTypeInfo&lt;T&gt;</c>
/// (the explicit serializer). So a generic method of a NativeAotPersistence assembly resolves <c>T</c> when an overload of
/// the same name and arity takes a <c>PayloadTypeInfo&lt;T&gt;</c> and it takes none itself, or when it takes a nullable
/// one and the call passes <see langword="null"/>. A user's own implementation of a library interface counts as the
/// interface method it implements. <c>PayloadEntryPointTests</c> checks this against every public generic method.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PayloadUsageAnalyzer : DiagnosticAnalyzer
{
    private const string LibraryAssembly = "NativeAotPersistence";

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
            if (compilation.GetTypeByMetadataName("NativeAotPersistence.PayloadTypeInfo`1") is not { } typeInfo)
            {
                return;
            }

            // Collected once per compilation, and only when a resolving call is actually seen.
            var registered = new Lazy<HashSet<ITypeSymbol>>(() => CollectRegistered(compilation, start.CancellationToken), LazyThreadSafetyMode.ExecutionAndPublication);
            start.RegisterOperationAction(operation => AnalyzeInvocation(operation, typeInfo, registered), OperationKind.Invocation);
            start.RegisterOperationAction(operation => AnalyzeMethodReference(operation, typeInfo, registered), OperationKind.MethodReference);
        });
    }

    /// <summary>
    /// The ordinal of the type parameter of <paramref name="method"/> that a call resolves through the payload context,
    /// or -1 when it resolves none. <paramref name="typeInfoParameter"/> is set when the method takes an optional
    /// serializer for it: the call resolves only when it passes <see langword="null"/> there.
    /// </summary>
    internal static int PayloadTypeParameter(IMethodSymbol method, INamedTypeSymbol payloadTypeInfo, out IParameterSymbol? typeInfoParameter)
    {
        typeInfoParameter = null;
        var definition = method.ReducedFrom ?? method.OriginalDefinition;
        if (!definition.IsGenericMethod)
        {
            return -1;
        }

        if (IsLibrary(definition.ContainingAssembly))
        {
            return Classify(definition, payloadTypeInfo, out typeInfoParameter);
        }

        // A user's own implementation of a library interface: as the interface method it implements.
        var containing = definition.ContainingType;
        foreach (var implemented in containing.AllInterfaces)
        {
            if (!IsLibrary(implemented.ContainingAssembly))
            {
                continue;
            }

            foreach (var member in implemented.GetMembers(definition.Name))
            {
                if (member is IMethodSymbol candidate &&
                    containing.FindImplementationForInterfaceMember(candidate) is IMethodSymbol implementation &&
                    SymbolEqualityComparer.Default.Equals(implementation.OriginalDefinition, definition))
                {
                    return Classify(candidate.OriginalDefinition, payloadTypeInfo, out typeInfoParameter);
                }
            }
        }

        return -1;
    }

    private static int Classify(IMethodSymbol method, INamedTypeSymbol payloadTypeInfo, out IParameterSymbol? typeInfoParameter)
    {
        typeInfoParameter = null;
        foreach (var parameter in method.Parameters)
        {
            var ordinal = TypeInfoOf(parameter.Type, payloadTypeInfo);
            if (ordinal >= 0)
            {
                // Takes the serializer: resolves only when it is optional and the call leaves it null.
                if (parameter.Type.NullableAnnotation != NullableAnnotation.Annotated)
                {
                    return -1;
                }

                typeInfoParameter = parameter;
                return ordinal;
            }
        }

        foreach (var member in method.ContainingType.GetMembers(method.Name))
        {
            if (member is IMethodSymbol overload && overload.Arity == method.Arity && overload.IsStatic == method.IsStatic &&
                !SymbolEqualityComparer.Default.Equals(overload, method))
            {
                foreach (var parameter in overload.Parameters)
                {
                    var ordinal = TypeInfoOf(parameter.Type, payloadTypeInfo);
                    if (ordinal >= 0)
                    {
                        return ordinal;
                    }
                }
            }
        }

        return -1;
    }

    /// <summary>The ordinal of <c>T</c> when <paramref name="type"/> is <c>PayloadTypeInfo&lt;T&gt;</c> of a method type parameter; else -1.</summary>
    private static int TypeInfoOf(ITypeSymbol type, INamedTypeSymbol payloadTypeInfo) =>
        type is INamedTypeSymbol { IsGenericType: true } named &&
        SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, payloadTypeInfo) &&
        named.TypeArguments[0] is ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } parameter
            ? parameter.Ordinal
            : -1;

    private static bool IsLibrary(IAssemblySymbol? assembly) =>
        assembly is not null &&
        (assembly.Name == LibraryAssembly || assembly.Name.StartsWith(LibraryAssembly + ".", StringComparison.Ordinal));

    private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol typeInfo, Lazy<HashSet<ITypeSymbol>> registered)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!method.IsGenericMethod)
        {
            return;
        }

        var ordinal = PayloadTypeParameter(method, typeInfo, out var typeInfoParameter);
        if (ordinal < 0 || (typeInfoParameter is not null && !PassesNull(invocation, typeInfoParameter.Ordinal)))
        {
            return;
        }

        Report(context, method.TypeArguments[ordinal], registered);
    }

    private static void AnalyzeMethodReference(OperationAnalysisContext context, INamedTypeSymbol typeInfo, Lazy<HashSet<ITypeSymbol>> registered)
    {
        // A method group (a delegate to call later): only a method that always resolves can be judged here.
        var method = ((IMethodReferenceOperation)context.Operation).Method;
        if (!method.IsGenericMethod)
        {
            return;
        }

        var ordinal = PayloadTypeParameter(method, typeInfo, out var typeInfoParameter);
        if (ordinal >= 0 && typeInfoParameter is null)
        {
            Report(context, method.TypeArguments[ordinal], registered);
        }
    }

    private static bool PassesNull(IInvocationOperation invocation, int parameterOrdinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == parameterOrdinal)
            {
                return argument.Value.ConstantValue is { HasValue: true, Value: null };
            }
        }

        return false;
    }

    private static void Report(OperationAnalysisContext context, ITypeSymbol type, Lazy<HashSet<ITypeSymbol>> registered)
    {
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
