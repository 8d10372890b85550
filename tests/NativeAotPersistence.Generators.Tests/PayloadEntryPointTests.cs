using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// NAP0011 covers every generic entry point that resolves a payload type. <see cref="PublicGenericMethods"/> says, for
/// every public generic method of the packages, whether its call resolves a type argument through the payload context;
/// a method added without an entry fails <see cref="Every_public_generic_method_is_in_the_table"/>. The analyzer must
/// answer as the table does, flag each resolving call, and each flagged call must really throw at run time.
/// </summary>
public sealed partial class PayloadEntryPointTests
{
    /// <summary>What a call of a generic method does with its type argument.</summary>
    public enum Use
    {
        /// <summary>Resolves it through the payload context (throws PayloadTypeNotRegisteredException when unknown).</summary>
        Resolves,

        /// <summary>Takes an optional serializer for it, and resolves it when the call passes null.</summary>
        ResolvesWhenNull,

        /// <summary>Takes the serializer for it (a required PayloadTypeInfo&lt;T&gt;).</summary>
        TakesSerializer,

        /// <summary>Never serializes it.</summary>
        NotAPayload,
    }

    /// <summary>
    /// Every public generic method of NativeAotPersistence (by reflection) and of Extensions, Polly and PostgreSql (by
    /// their PublicAPI files, which their build keeps complete), as <c>Type.Method&lt;T&gt;(parameter names)</c>, with
    /// what it does with which type parameter. Generic types (Checkpoint&lt;T&gt;, CheckpointContext&lt;TState&gt;, ...)
    /// resolve nothing: they hold the serializer of the method that made them.
    /// </summary>
    internal static readonly Dictionary<string, (Use Use, string? TypeParameter)> PublicGenericMethods = new(StringComparer.Ordinal)
    {
        ["NativeAotPersistence.ICacheProvider.GetAsync<T>(key, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICacheProvider.GetAsync<T>(key, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICacheProvider.TryGetAsync<T>(key, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICacheProvider.TryGetAsync<T>(key, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICacheProvider.SetAsync<T>(key, value, ttl, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICacheProvider.SetAsync<T>(key, value, ttl, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICacheProvider.SetAsync<T>(key, value, options, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICacheProvider.SetAsync<T>(key, value, options, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICacheProvider.AddAsync<T>(key, value, ttl, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICacheProvider.AddAsync<T>(key, value, ttl, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, ttl, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, ttl, typeInfo, cancellationToken)"] = (Use.ResolvesWhenNull, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, options, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, options, typeInfo, cancellationToken)"] = (Use.ResolvesWhenNull, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.GetOrSetResultAsync<T>(cache, key, factory, options, typeInfo, cancellationToken)"] = (Use.ResolvesWhenNull, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.SetManyAsync<T>(cache, entries, ttl, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.SetManyAsync<T>(cache, entries, ttl, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.SetManyAsync<T>(cache, entries, options, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.CacheProviderExtensions.SetManyAsync<T>(cache, entries, options, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICheckpointProvider.SaveAsync<T>(checkpoint, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICheckpointProvider.SaveAsync<T>(checkpoint, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICheckpointProvider.LoadLatestAsync<T>(taskId, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICheckpointProvider.LoadLatestAsync<T>(taskId, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICheckpointProvider.LoadAsync<T>(checkpointId, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICheckpointProvider.LoadAsync<T>(checkpointId, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.ICheckpointProvider.ListAsync<T>(taskId, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.ICheckpointProvider.ListAsync<T>(taskId, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.CheckpointedTask.RunAsync<TState, TResult>(checkpoints, taskId, task, options, cancellationToken)"] = (Use.Resolves, "TState"),
        ["NativeAotPersistence.CheckpointedTask.RunAsync<TState, TResult>(checkpoints, taskId, task, options, typeInfo, cancellationToken)"] = (Use.ResolvesWhenNull, "TState"),
        ["NativeAotPersistence.IIdempotencyProvider.GetAsync<T>(key, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.IIdempotencyProvider.GetAsync<T>(key, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.IIdempotencyProvider.SetAsync<T>(key, value, ttl, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.IIdempotencyProvider.SetAsync<T>(key, value, ttl, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.IIdempotencyProvider.ExecuteOnceAsync<T>(key, ttl, action, cancellationToken)"] = (Use.Resolves, "T"),
        ["NativeAotPersistence.IIdempotencyProvider.ExecuteOnceAsync<T>(key, ttl, action, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),

        // The action's result, returned to the caller; a breaker stores only its circuit's state.
        ["NativeAotPersistence.CircuitBreaker.ExecuteAsync<T>(action, cancellationToken)"] = (Use.NotAPayload, null),
        // Helpers of the generated code: they take System.Text.Json's converter for the type, never a context.
        ["NativeAotPersistence.Payloads.PayloadJson.ReadKeyWith<T>(reader, converter, typeName)"] = (Use.NotAPayload, null),
        ["NativeAotPersistence.Payloads.PayloadJson.ReadWith<T>(reader, converter, typeName)"] = (Use.NotAPayload, null),
        ["NativeAotPersistence.Payloads.PayloadJson.WriteKeyWith<T>(writer, converter, key)"] = (Use.NotAPayload, null),
        ["NativeAotPersistence.Payloads.PayloadJson.WriteWith<T>(writer, converter, value)"] = (Use.NotAPayload, null),

        // The backend kit (NativeAotPersistence.Backends, hidden from IntelliSense): what a backend's providers call with the
        // serializer the user's call resolved (or passed), or with an explicit context. NAP0011 flags the user's call of
        // the provider method; a backend author's own calls are outside it.
        ["NativeAotPersistence.Backends.BackendTelemetry.Timed<T>(backend, operation, started, task)"] = (Use.NotAPayload, null),
        ["NativeAotPersistence.Backends.CheckpointRules.Validate<T>(checkpoint)"] = (Use.NotAPayload, null),
        ["NativeAotPersistence.Backends.ExecuteOnce.RunAsync<T>(store, leases, leaseTtl, key, ttl, action, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.Backends.IIdempotencyStore.StoreFirstAsync<T>(key, value, ttl, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.Backends.ICacheEntryStore.ReadEntryAsync<T>(key, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.Backends.ICacheBatchStore.SetManyAsync<T>(entries, options, typeInfo, cancellationToken)"] = (Use.TakesSerializer, "T"),
        ["NativeAotPersistence.Backends.PayloadResolver.Resolve<T>(context)"] = (Use.NotAPayload, null),
        ["NativeAotPersistence.Backends.StoredPayloads.Serialize<T>(typeInfo, key, value)"] = (Use.TakesSerializer, "T"),

        // Extensions: HybridCache asks the factory for each type; it answers false for a type the context lacks, and
        // HybridCache falls back to its own serializer (see docs/ecosystem.md). Nothing throws, nothing to flag here.
        ["NativeAotPersistence.PayloadHybridCacheSerializerFactory.TryCreateSerializer<T>(serializer)"] = (Use.NotAPayload, null),

        // Polly: TResult is the pipeline's result type; the persistent breaker stores only its circuit's state.
        ["NativeAotPersistence.PersistentCircuitBreakerResiliencePipelineBuilderExtensions.AddPersistentCircuitBreaker<TResult>(builder, provider, key, options)"] = (Use.NotAPayload, null),
    };

    /// <summary>
    /// One call per resolving entry point, as user code writes it (<c>{T}</c> is the payload type), each under the
    /// table's key; <c>Flagged</c> is the text NAP0011 points at when it is not the whole call.
    /// </summary>
    private static readonly (string Method, string Call, string? Flagged)[] Calls =
    [
        ("NativeAotPersistence.ICacheProvider.GetAsync<T>(key, cancellationToken)", """cache.GetAsync<{T}>("k")""", null),
        ("NativeAotPersistence.ICacheProvider.TryGetAsync<T>(key, cancellationToken)", """cache.TryGetAsync<{T}>("k")""", null),
        ("NativeAotPersistence.ICacheProvider.SetAsync<T>(key, value, ttl, cancellationToken)", """cache.SetAsync("k", new {T}(1))""", null),
        ("NativeAotPersistence.ICacheProvider.SetAsync<T>(key, value, options, cancellationToken)", """cache.SetAsync("k", new {T}(1), new CacheEntryOptions())""", null),
        ("NativeAotPersistence.ICacheProvider.AddAsync<T>(key, value, ttl, cancellationToken)", """cache.AddAsync("k2", new {T}(1))""", null),
        ("NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, ttl, cancellationToken)", """cache.GetOrSetAsync("k3", _ => new ValueTask<{T}>(new {T}(1)))""", null),
        ("NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, ttl, typeInfo, cancellationToken)", """cache.GetOrSetAsync("k4", _ => new ValueTask<{T}>(new {T}(1)), null, typeInfo: null)""", null),
        ("NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, options, cancellationToken)", """cache.GetOrSetAsync("k5", _ => new ValueTask<{T}>(new {T}(1)), new GetOrSetOptions())""", null),
        ("NativeAotPersistence.CacheProviderExtensions.GetOrSetAsync<T>(cache, key, factory, options, typeInfo, cancellationToken)", """cache.GetOrSetAsync("k6", _ => new ValueTask<{T}>(new {T}(1)), new GetOrSetOptions(), typeInfo: null)""", null),
        ("NativeAotPersistence.CacheProviderExtensions.GetOrSetResultAsync<T>(cache, key, factory, options, typeInfo, cancellationToken)", """cache.GetOrSetResultAsync("k7", _ => new ValueTask<{T}>(new {T}(1)), new GetOrSetOptions())""", null),
        ("NativeAotPersistence.CacheProviderExtensions.SetManyAsync<T>(cache, entries, ttl, cancellationToken)", """cache.SetManyAsync(new[] { System.Collections.Generic.KeyValuePair.Create("m1", new {T}(1)) })""", null),
        ("NativeAotPersistence.CacheProviderExtensions.SetManyAsync<T>(cache, entries, options, cancellationToken)", """cache.SetManyAsync(new[] { System.Collections.Generic.KeyValuePair.Create("m2", new {T}(1)) }, new CacheEntryOptions())""", null),
        ("NativeAotPersistence.ICheckpointProvider.SaveAsync<T>(checkpoint, cancellationToken)", """checkpoints.SaveAsync(new Checkpoint<{T}>("t#1", "t", 1, DateTimeOffset.UtcNow, 10, new {T}(1)))""", null),
        ("NativeAotPersistence.ICheckpointProvider.LoadLatestAsync<T>(taskId, cancellationToken)", """checkpoints.LoadLatestAsync<{T}>("t")""", null),
        ("NativeAotPersistence.ICheckpointProvider.LoadAsync<T>(checkpointId, cancellationToken)", """checkpoints.LoadAsync<{T}>("t#1")""", null),
        ("NativeAotPersistence.ICheckpointProvider.ListAsync<T>(taskId, cancellationToken)", """checkpoints.ListAsync<{T}>("t")""", null),
        ("NativeAotPersistence.CheckpointedTask.RunAsync<TState, TResult>(checkpoints, taskId, task, options, cancellationToken)", """CheckpointedTask.RunAsync<{T}, int>(checkpoints, "run", static (_, _) => new ValueTask<int>(1))""", null),
        ("NativeAotPersistence.CheckpointedTask.RunAsync<TState, TResult>(checkpoints, taskId, task, options, typeInfo, cancellationToken)", """CheckpointedTask.RunAsync<{T}, int>(checkpoints, "run2", static (_, _) => new ValueTask<int>(1), null, typeInfo: null)""", null),
        ("NativeAotPersistence.IIdempotencyProvider.GetAsync<T>(key, cancellationToken)", """idempotency.GetAsync<{T}>("k")""", null),
        ("NativeAotPersistence.IIdempotencyProvider.SetAsync<T>(key, value, ttl, cancellationToken)", """idempotency.SetAsync("k", new {T}(1))""", null),
        ("NativeAotPersistence.IIdempotencyProvider.ExecuteOnceAsync<T>(key, ttl, action, cancellationToken)", """idempotency.ExecuteOnceAsync("k2", null, _ => new ValueTask<{T}>(new {T}(1)))""", null),

        // A method group, called later through the delegate.
        ("NativeAotPersistence.ICacheProvider.GetAsync<T>(key, cancellationToken)", """((Func<string, CancellationToken, ValueTask<{T}?>>)cache.GetAsync<{T}>)("k", default)""", "cache.GetAsync<{T}>"),
    ];

    private static readonly string[] OtherPackages = ["Extensions", "Polly", "PostgreSql"];

    private const string Prelude = """
        global using System;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using NativeAotPersistence;

        public sealed record Unregistered(int Id);
        public sealed record Registered(int Id);

        [Payload(typeof(Registered))]
        internal partial class Ctx : PayloadContext { }
        """;

    [Fact]
    public void Every_public_generic_method_is_in_the_table()
    {
        var found = RuntimeGenericMethods().Select(static m => m.Key)
            .Concat(OtherPackages.SelectMany(PublicApiGenericMethods))
            .ToHashSet(StringComparer.Ordinal);

        var unknown = found.Where(static m => !PublicGenericMethods.ContainsKey(m)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0,
            "Public generic methods this test does not know; add each to PublicGenericMethods (does a call resolve a type argument through the payload context?), and a resolving one to Calls:\n" +
            string.Join('\n', unknown));
        Assert.DoesNotContain(PublicGenericMethods.Keys, k => !found.Contains(k));
    }

    [Fact]
    public void The_analyzer_classifies_every_method_as_the_table_does()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation();
        var typeInfo = compilation.GetTypeByMetadataName("NativeAotPersistence.PayloadTypeInfo`1")!;
        var runtime = RuntimeGenericMethods().ToDictionary(static m => m.Key, static m => m.Value, StringComparer.Ordinal);
        foreach (var (key, (use, typeParameter)) in PublicGenericMethods)
        {
            if (!runtime.TryGetValue(key, out var method))
            {
                // Another package's: the analyzer would see it only where it is referenced, which this project does not do.
                Assert.True(use is Use.NotAPayload or Use.TakesSerializer, key + " resolves a payload: reference its assembly in this test and check it here");
                continue;
            }

            var symbol = compilation.GetTypeByMetadataName(method.DeclaringType!.FullName!)!
                .GetMembers(method.Name)
                .OfType<IMethodSymbol>()
                .Single(m => m.Arity == method.GetGenericArguments().Length && m.Parameters.Select(static p => p.Name).SequenceEqual(method.GetParameters().Select(static p => p.Name!)));
            var ordinal = PayloadUsageAnalyzer.PayloadTypeParameter(symbol, typeInfo, out var typeInfoParameter);
            var expected = use is Use.Resolves or Use.ResolvesWhenNull ? Array.FindIndex(method.GetGenericArguments(), a => a.Name == typeParameter) : -1;
            Assert.True(expected != -1 || use is Use.TakesSerializer or Use.NotAPayload, key + ": no type parameter " + typeParameter);
            Assert.True(ordinal == expected, $"{key}: the analyzer resolves type parameter #{ordinal}, the table #{expected}");
            Assert.True((typeInfoParameter is not null) == (use == Use.ResolvesWhenNull), key + ": optional serializer " + typeInfoParameter?.Name);
        }

        var resolving = PublicGenericMethods.Where(static m => m.Value.Use is Use.Resolves or Use.ResolvesWhenNull).Select(static m => m.Key);
        Assert.Empty(resolving.Except(Calls.Select(static c => c.Method), StringComparer.Ordinal));
    }

    [Fact]
    public void Each_resolving_call_is_flagged_for_an_unregistered_type_and_not_for_a_registered_one()
    {
        var unregistered = Analyze(CallsSource("Unregistered"));
        Assert.Equal(
            Calls.Select(static c => (c.Flagged ?? c.Call).Replace("{T}", "Unregistered", StringComparison.Ordinal)),
            unregistered.Select(static d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
        Assert.All(unregistered, static d => Assert.Equal("NAP0011", d.Id));
        Assert.Empty(Analyze(CallsSource("Registered")));
    }

    [Fact]
    public void Each_flagged_call_throws_PayloadTypeNotRegisteredException_at_run_time()
    {
        // The same calls against the in-memory backend: the unregistered type throws, the registered one does not.
        var output = GeneratorDriverHelper.Run(Prelude, CallsSource("Unregistered"), CallsSource("Registered"));
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        var (context, assembly) = GeneratorDriverHelper.Load(output.Compilation);
        try
        {
            for (var i = 0; i < Calls.Length; i++)
            {
                var call = Calls[i].Call;
                var error = Record.Exception(() => Invoke(assembly, "UnregisteredCalls", i));
                Assert.True(error is PayloadTypeNotRegisteredException, $"{call} with Unregistered: {error?.ToString() ?? "no exception"}");
                Assert.Null(Record.Exception(() => Invoke(assembly, "RegisteredCalls", i)));
            }
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Calls_that_pass_a_serializer_or_serialize_nothing_are_not_flagged_and_user_implementations_are()
    {
        var diagnostics = Analyze("""
            /// <summary>A user's own provider: its calls resolve as the interface says.</summary>
            internal sealed class MyIdempotency : IIdempotencyProvider
            {
                public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => throw new NotSupportedException();
            }

            internal static class Calls
            {
                public static async Task Run(ICacheProvider cache, ICheckpointProvider checkpoints, CircuitBreaker breaker, PayloadTypeInfo<Unregistered>? info, MyIdempotency mine)
                {
                    await cache.GetAsync("a", info!);
                    await cache.GetOrSetAsync("b", _ => new ValueTask<Unregistered>(new Unregistered(1)), null, info);
                    await CheckpointedTask.RunAsync<Unregistered, int>(checkpoints, "c", static (_, _) => new ValueTask<int>(1), null, info);
                    await breaker.ExecuteAsync(_ => new ValueTask<Unregistered>(new Unregistered(1)));
                    await mine.GetAsync("d", info!);
                    await mine.GetAsync<Unregistered>("e");
                }
            }
            """);
        Assert.Equal(["mine.GetAsync<Unregistered>(\"e\")"], diagnostics.Select(static d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
    }

    private static string CallsSource(string type)
    {
        var cases = string.Join("\n", Calls.Select((c, i) => $"            case {i}: await {c.Call.Replace("{T}", type, StringComparison.Ordinal)}; break;"));
        return $$"""
            public static class {{type}}Calls
            {
                public static async Task Run(int call)
                {
                    var adapter = new InMemoryPersistence(new PersistenceAdapterOptions { Payloads = Ctx.Default });
                    await adapter.ConnectAsync();
                    var cache = adapter.Cache;
                    var checkpoints = adapter.Checkpoints;
                    var idempotency = adapter.Idempotency;
                    switch (call)
                    {
            {{cases}}
                    }
                }
            }

            """;
    }

    private static List<Diagnostic> Analyze(string source)
    {
        var output = GeneratorDriverHelper.Run(Prelude, source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        return [.. GeneratorDriverHelper.Analyze(output.Compilation, new PayloadUsageAnalyzer()).OrderBy(static d => d.Location.SourceSpan.Start)];
    }

    private static void Invoke(Assembly assembly, string type, int call) =>
        ((Task)assembly.GetType(type, throwOnError: true)!.GetMethod("Run")!.Invoke(null, [call])!).GetAwaiter().GetResult();

    /// <summary>The public generic methods of the runtime assembly, by reflection, under the table's keys.</summary>
    private static IEnumerable<KeyValuePair<string, MethodInfo>> RuntimeGenericMethods() =>
        typeof(PayloadContext).Assembly.GetExportedTypes()
            .SelectMany(static t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(static m => m.IsGenericMethodDefinition && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly))
            .Select(static m => new KeyValuePair<string, MethodInfo>(
                $"{m.DeclaringType!.FullName}.{m.Name}<{string.Join(", ", m.GetGenericArguments().Select(static a => a.Name))}>({string.Join(", ", m.GetParameters().Select(static p => p.Name))})",
                m));

    /// <summary>The generic methods a package's PublicAPI files list, under the table's keys.</summary>
    private static IEnumerable<string> PublicApiGenericMethods(string package)
    {
        var folder = Path.Combine(DiagnosticTests.RepositoryRoot(), "src", package);
        foreach (var line in Directory.GetFiles(folder, "PublicAPI.*.txt").SelectMany(File.ReadLines))
        {
            if (PublicApiMethod().Match(line) is not { Success: true } match)
            {
                continue;
            }

            var names = SplitTopLevel(match.Groups["parameters"].Value)
                .Select(static p => p.Split(" = ")[0].Trim().Split(' ')[^1]);
            yield return $"{match.Groups["method"].Value}<{match.Groups["typeParameters"].Value}>({string.Join(", ", names)})";
        }
    }

    private static IEnumerable<string> SplitTopLevel(string parameters)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            depth += parameters[i] switch { '<' or '(' => 1, '>' or ')' => -1, _ => 0 };
            if (parameters[i] == ',' && depth == 0)
            {
                yield return parameters[start..i];
                start = i + 1;
            }
        }

        if (parameters.Trim().Length > 0)
        {
            yield return parameters[start..];
        }
    }

    // "static NativeAotPersistence.X.M<T>(this A! a, B b = default(B)) -> R" (a generic method, not a generic type's member).
    [GeneratedRegex(@"^~?(?:(?:static|override|abstract|virtual|sealed|new) )*(?<method>[\w.]+)<(?<typeParameters>[\w, ]+)>\((?<parameters>.*)\) -> ")]
    private static partial Regex PublicApiMethod();
}
