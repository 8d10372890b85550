using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// The pipeline caches: an unrelated edit, or one that changes no serialized member, emits nothing; an edit of a payload
/// type emits that type's file again and no other.
/// </summary>
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
    public void Editing_a_payload_type_reemits_only_its_file()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(TwoTypesContext, TwoTypes);
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);

        var result = Rerun(ref driver, compilation, TwoTypes, TwoTypes.Replace("string Name", "string Name, int Quantity", StringComparison.Ordinal));

        var models = result.TrackedSteps[TrackingNames.Models].SelectMany(static s => s.Outputs).Select(static o => o.Reason);
        Assert.Contains(IncrementalStepRunReason.Modified, models);

        // The context's own file (roots unchanged) and the other type's file are not emitted again; Order's is, with the new member.
        var contextFile = Assert.Single(result.TrackedSteps[TrackingNames.ContextFiles].SelectMany(static s => s.Outputs));
        Assert.True(contextFile.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, contextFile.Reason.ToString());
        var typeFiles = result.TrackedSteps[TrackingNames.TypeFiles].SelectMany(static s => s.Outputs).ToList();
        Assert.Equal(2, typeFiles.Count);
        Assert.Single(typeFiles, static o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Single(typeFiles, static o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        var order = Assert.Single(result.GeneratedSources, static s => s.HintName.EndsWith(".Order.g.cs", StringComparison.Ordinal));
        Assert.Contains("Quantity", order.SourceText.ToString(), StringComparison.Ordinal);
    }

    public static readonly TheoryData<string, string> EditsThatChangeNoModel = new()
    {
        { "comment", "namespace Shop; // the shop\n// more words\n" + TwoTypesBody },
        { "whitespace", "namespace Shop;\n\n\n" + TwoTypesBody.Replace(" ", "  ", StringComparison.Ordinal) },
        { "method", "namespace Shop;\n" + TwoTypesBody.Replace("public sealed class Customer {", "public sealed class Customer { public int Twice() => Age * 2; ", StringComparison.Ordinal) },
        { "private field", "namespace Shop;\n" + TwoTypesBody.Replace("public sealed class Customer {", "public sealed class Customer { private int _cache; internal int Cache => _cache; ", StringComparison.Ordinal) },
        { "ignored member", "namespace Shop;\n" + TwoTypesBody.Replace("public sealed class Customer {", "public sealed class Customer { [System.Text.Json.Serialization.JsonIgnore] public int Derived { get; set; } ", StringComparison.Ordinal) },
        { "static member", "namespace Shop;\n" + TwoTypesBody.Replace("public sealed class Customer {", "public sealed class Customer { public static int Count { get; set; } ", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(EditsThatChangeNoModel))]
    public void An_edit_that_changes_no_serialized_member_emits_nothing(string edit, string newText)
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(TwoTypesContext, TwoTypes);
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);

        var result = Rerun(ref driver, compilation, TwoTypes, newText);

        foreach (var step in new[] { TrackingNames.Models, TrackingNames.ContextFiles, TrackingNames.TypeFiles })
        {
            var reasons = result.TrackedSteps[step].SelectMany(static s => s.Outputs).Select(static o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{edit}, {step}: {r}"));
        }

        Assert.All(
            result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{edit}: {o.Reason}"));
    }

    private const string TwoTypesContext = """
        using NativeAotPersistence;
        [Payload(typeof(Shop.Order))]
        [Payload(typeof(Shop.Customer))]
        internal partial class Ctx : PayloadContext { }
        """;

    private const string TwoTypesBody = """
        public sealed record Order(int Id, string Name);
        public sealed class Customer { public string Email { get; set; } = ""; public int Age { get; set; } }
        """;

    private const string TwoTypes = "namespace Shop;\n" + TwoTypesBody;

    private static GeneratorRunResult Rerun(ref GeneratorDriver driver, Compilation compilation, string oldText, string newText)
    {
        var oldTree = compilation.SyntaxTrees.Single(t => t.ToString() == oldText);
        var newTree = CSharpSyntaxTree.ParseText(newText, GeneratorDriverHelper.ParseOptions, oldTree.FilePath);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree));
        return Assert.Single(driver.GetRunResult().Results);
    }
}
