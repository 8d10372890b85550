using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>The pipeline caches: an unrelated edit reruns nothing; an edit of a payload type reruns the emitter.</summary>
public sealed class IncrementalTests
{
    private const string Context = """
        using NativeAotPersistence;
        [Payload(typeof(Shop.Order))]
        internal partial class Ctx : PayloadContext { }
        """;

    private const string Payload = """
        namespace Shop;
        public sealed record Order(int Id, string Name);
        """;

    private static readonly string[] TrackedSteps = [TrackingNames.Parse, TrackingNames.Models, TrackingNames.Diagnostics];

    [Fact]
    public void Unrelated_edit_reports_only_cached_or_unchanged_steps()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(Context, Payload);
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("internal static class Unrelated { public static int X => 1; }", GeneratorDriverHelper.ParseOptions));
        driver = driver.RunGenerators(edited);
        var result = Assert.Single(driver.GetRunResult().Results);

        foreach (var step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), step);
            var reasons = result.TrackedSteps[step].SelectMany(static s => s.Outputs).Select(static o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }

        Assert.All(
            result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs),
            static o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Editing_a_payload_type_reruns_the_emitter()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(Context, Payload);
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);

        var oldTree = compilation.SyntaxTrees.Single(static t => t.ToString().Contains("record Order", StringComparison.Ordinal));
        var newTree = CSharpSyntaxTree.ParseText(Payload.Replace("string Name", "string Name, int Quantity", StringComparison.Ordinal), GeneratorDriverHelper.ParseOptions, oldTree.FilePath);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree));
        var result = Assert.Single(driver.GetRunResult().Results);

        var models = result.TrackedSteps[TrackingNames.Models].SelectMany(static s => s.Outputs).Select(static o => o.Reason);
        Assert.Contains(IncrementalStepRunReason.Modified, models);
        Assert.Contains("Quantity", Assert.Single(result.GeneratedSources).SourceText.ToString(), StringComparison.Ordinal);
    }
}
