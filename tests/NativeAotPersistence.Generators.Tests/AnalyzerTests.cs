using NativeAotPersistence.Generators.Diagnostics;

namespace NativeAotPersistence.Generators.Tests;

public sealed class AnalyzerTests
{
    [Fact]
    public void NAP0011_UnregisteredPayloadType()
    {
        var output = GeneratorDriverHelper.Run("""
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using NativeAotPersistence;

            public sealed record Registered(int Id, Reachable Child);
            public sealed record Reachable(string Name);
            public sealed record Unregistered(int Id);

            [Payload(typeof(Registered))]
            internal partial class Ctx : PayloadContext { }

            internal static class Calls
            {
                public static async Task Run(ICacheProvider cache, ICheckpointProvider checkpoints, IIdempotencyProvider idempotency)
                {
                    await cache.SetAsync("a", new Registered(1, new Reachable("x")));
                    await cache.GetAsync<Reachable>("b");
                    await cache.GetAsync<int>("c");
                    await cache.GetAsync<string?>("c2");
                    await cache.GetAsync<List<Registered>>("d");
                    await cache.SetAsync("e", new Unregistered(1));
                    await cache.GetAsync("f", Ctx.Default.Registered);
                    await cache.SetAsync("g", new Unregistered(2), null, null!);
                    await checkpoints.LoadLatestAsync<Unregistered>("task");
                    await idempotency.ExecuteOnceAsync<Unregistered>("k", null, _ => default);
                    await Generic<Unregistered>(cache);
                }

                private static async Task Generic<T>(ICacheProvider cache) => await cache.GetAsync<T>("h");
            }
            """);
        Assert.Empty(output.Diagnostics);

        var diagnostics = GeneratorDriverHelper.Analyze(output.Compilation, new PayloadUsageAnalyzer())
            .OrderBy(static d => d.Location.SourceSpan.Start)
            .ToList();
        Assert.All(diagnostics, static d => Assert.Equal("NAP0011", d.Id));
        var lines = diagnostics.Select(static d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)).ToList();
        Assert.Equal(
            [
                "cache.GetAsync<List<Registered>>(\"d\")",
                "cache.SetAsync(\"e\", new Unregistered(1))",
                "checkpoints.LoadLatestAsync<Unregistered>(\"task\")",
                "idempotency.ExecuteOnceAsync<Unregistered>(\"k\", null, _ => default)",
            ],
            lines);
        Assert.Contains("[Payload(typeof(Unregistered))]", diagnostics[1].GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, diagnostics[0].Severity);
    }
}
