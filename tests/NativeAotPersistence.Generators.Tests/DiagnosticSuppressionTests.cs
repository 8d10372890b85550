using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// A user manages the generator's diagnostics like the compiler's: <c>#pragma warning disable</c>,
/// <c>[SuppressMessage]</c>, <c>.editorconfig</c> and <c>.globalconfig</c> severities, <c>NoWarn</c>. That needs each
/// diagnostic located in the user's <see cref="SyntaxTree"/>, not at a bare file path (which only the project-wide
/// settings reach).
/// </summary>
public sealed partial class DiagnosticSuppressionTests
{
    private const string Context = """
        using NativeAotPersistence;
        [Payload(typeof(Item))]
        [Payload(typeof(Item))]
        internal partial class Ctx : PayloadContext { }
        """;

    private const string SingleContext = """
        using NativeAotPersistence;
        [Payload(typeof(Item))]
        internal partial class Ctx : PayloadContext { }
        """;

    private const string Item = """
        public sealed class Item
        {
            public int Id { get; set; }
            public object? Anything { get; set; }
            public System.IO.Stream? Link { get; set; }
        }
        """;

    [Fact]
    public void Diagnostics_point_into_the_users_tree_at_the_member_or_attribute()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(Context, Item);
        var diagnostics = InOrder(RunGenerator(compilation)).ToList();

        Assert.Equal(["NAP0005", "NAP0003", "NAP0003"], diagnostics.Select(static d => d.Id));
        Assert.All(diagnostics, static d => Assert.Equal(LocationKind.SourceFile, d.Location.Kind));
        Assert.Same(compilation.SyntaxTrees[0], diagnostics[0].Location.SourceTree);
        Assert.Same(compilation.SyntaxTrees[1], diagnostics[1].Location.SourceTree);
        Assert.Same(compilation.SyntaxTrees[1], diagnostics[2].Location.SourceTree);
        Assert.Equal(["Payload(typeof(Item))", "Anything", "Link"], diagnostics.Select(Text));

        // The second attribute (the duplicate), on line 3; the members on lines 4 and 5 of Item's file.
        Assert.Equal(new LinePosition(2, 1), diagnostics[0].Location.GetLineSpan().StartLinePosition);
        Assert.Equal(("Source1.cs", 3), (diagnostics[1].Location.GetLineSpan().Path, diagnostics[1].Location.GetLineSpan().StartLinePosition.Line));
        Assert.Equal(("Source1.cs", 4), (diagnostics[2].Location.GetLineSpan().Path, diagnostics[2].Location.GetLineSpan().StartLinePosition.Line));
    }

    [Fact]
    public void Diagnostics_are_reported_anew_only_when_a_tree_they_point_into_changes()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(SingleContext, Item);
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);
        Assert.Equal(2, Assert.Single(driver.GetRunResult().Results).Diagnostics.Length);

        // Another file changes: every output is cached, and the diagnostics point into the trees of the new compilation.
        var unrelated = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("internal static class Unrelated { }", GeneratorDriverHelper.ParseOptions, "Unrelated.cs"));
        driver = driver.RunGenerators(unrelated);
        var result = Assert.Single(driver.GetRunResult().Results);
        Assert.All(
            result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs),
            static o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Equal(2, result.Diagnostics.Length);
        Assert.All(result.Diagnostics, d => Assert.Same(unrelated.SyntaxTrees[1], d.Location.SourceTree));

        // Item's file changes after its members: the same diagnostics, now in the new tree (never in one the compilation lost).
        var oldTree = compilation.SyntaxTrees[1];
        var newTree = oldTree.WithChangedText(oldTree.GetText().WithChanges(new TextChange(new TextSpan(oldTree.Length, 0), "\n// edited\n")));
        result = Assert.Single(driver.RunGenerators(unrelated.ReplaceSyntaxTree(oldTree, newTree)).GetRunResult().Results);
        Assert.Equal(["Anything", "Link"], InOrder(result.Diagnostics).Select(Text));
        Assert.All(result.Diagnostics, d => Assert.Same(newTree, d.Location.SourceTree));
    }

    [Theory]
    [MemberData(nameof(DocDiagnosticsTests.Examples), MemberType = typeof(DocDiagnosticsTests))]
    public void Pragma_disable_silences_every_diagnostic(string id, string source)
    {
        Assert.Contains(DocDiagnosticsTests.Reported(source), d => d.Id == id && !d.IsSuppressed);
        Assert.DoesNotContain(DocDiagnosticsTests.Reported($"#pragma warning disable {id}\n" + source), d => d.Id == id && !d.IsSuppressed);
    }

    [Fact]
    public void The_pragma_the_docs_show_silences_NAP0011_at_that_call()
    {
        const string Source = """
            public sealed record SharedOrder(int Id);
            public sealed record Registered(int Id);
            [Payload(typeof(Registered))]
            internal partial class AppPayloads : PayloadContext { }
            internal static class Calls
            {
                public static async Task Store(ICacheProvider cache)
                {
                    // snippet: diagnostics-pragma
                    #pragma warning disable NAP0011 // SharedOrder is registered in SharedPayloads, in the Shared project
                    await cache.SetAsync("order:1", new SharedOrder(1));
                    #pragma warning restore NAP0011
                    // end snippet
                    await cache.SetAsync("order:2", new SharedOrder(2));
                }
            }
            """;

        var reported = DocDiagnosticsTests.Reported(Source).Where(static d => !d.IsSuppressed).ToList();
        Assert.Equal(["cache.SetAsync(\"order:2\", new SharedOrder(2))"], reported.Select(Text));
        Assert.All(reported, static d => Assert.Equal("NAP0011", d.Id));
    }

    [Fact]
    public void Pragma_around_one_member_silences_that_member_only()
    {
        var diagnostics = RunGenerator(GeneratorDriverHelper.CreateCompilation(
            SingleContext,
            """
            public sealed class Item
            {
                public int Id { get; set; }
            #pragma warning disable NAP0003
                public object? Anything { get; set; }
            #pragma warning restore NAP0003
                public System.IO.Stream? Link { get; set; }
            }
            """));

        // Suppressed, as the compiler's own warnings are: kept, marked, and not reported by a build.
        var anything = Assert.Single(diagnostics, static d => Text(d) == "Anything");
        Assert.True(anything.IsSuppressed);
        Assert.Equal(["Link"], diagnostics.Where(static d => !d.IsSuppressed).Select(Text));
    }

    [Fact]
    public void Pragma_around_an_attribute_silences_the_diagnostics_reported_on_it()
    {
        var diagnostics = RunGenerator(GeneratorDriverHelper.CreateCompilation(
            """
            using NativeAotPersistence;
            public sealed record Item(int Id);
            [Payload(typeof(Item))]
            #pragma warning disable NAP0005, NAP0003
            [Payload(typeof(Item))]
            [Payload(typeof(object))]
            #pragma warning restore NAP0005, NAP0003
            internal partial class Ctx : PayloadContext { }
            """));

        Assert.Equal(["NAP0003", "NAP0005"], diagnostics.Select(static d => d.Id).Order(StringComparer.Ordinal));
        Assert.All(diagnostics, static d => Assert.True(d.IsSuppressed, d.ToString()));
    }

    [Fact]
    public void SuppressMessage_on_the_member_silences_it()
    {
        var diagnostics = RunGenerator(GeneratorDriverHelper.CreateCompilation(
            Context,
            """
            public sealed class Item
            {
                public int Id { get; set; }
                [System.Diagnostics.CodeAnalysis.SuppressMessage("NativeAotPersistence.Payloads", "NAP0003", Justification = "Test")]
                public object? Anything { get; set; }
                public System.IO.Stream? Link { get; set; }
            }
            """));

        Assert.Equal(["Payload(typeof(Item))", "Link"], InOrder(diagnostics.Where(static d => !d.IsSuppressed)).Select(Text));
    }

    [Fact]
    public void Compilation_options_set_the_severity_as_NoWarn_and_a_globalconfig_do()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(Context, Item);
        Assert.Equal(
            ["NAP0005:Warning", "NAP0003:Error", "NAP0003:Error"],
            Severities(RunGenerator(compilation)));

        var none = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions([new("NAP0003", ReportDiagnostic.Suppress)]));
        Assert.Equal(["NAP0005:Warning"], Severities(RunGenerator(none)));

        var changed = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            [new("NAP0003", ReportDiagnostic.Warn), new("NAP0005", ReportDiagnostic.Error)]));
        Assert.Equal(["NAP0005:Error", "NAP0003:Warning", "NAP0003:Warning"], Severities(RunGenerator(changed)));
    }

    [Fact]
    public void Editorconfig_severities_apply_to_the_file_the_diagnostic_is_in()
    {
        // What the compiler does with a project's .editorconfig files (MSBuild passes them as /analyzerconfig):
        // parse them into an AnalyzerConfigSet and give each tree its section's dotnet_diagnostic.*.severity entries.
        var folder = Path.Combine(Path.GetTempPath(), "nap-editorconfig");
        var set = AnalyzerConfigSet.Create<ImmutableArray<AnalyzerConfig>>(
        [
            AnalyzerConfig.Parse(
                """
                root = true

                [Lenient.cs]
                dotnet_diagnostic.NAP0003.severity = warning

                [Legacy/*.cs]
                dotnet_diagnostic.NAP0003.severity = none
                """,
                Path.Combine(folder, ".editorconfig")),
            AnalyzerConfig.Parse(
                """
                is_global = true
                dotnet_diagnostic.NAP0005.severity = error
                """,
                Path.Combine(folder, ".globalconfig")),
        ]);

        var trees = new[]
        {
            ("Context.cs", """
                using NativeAotPersistence;
                [Payload(typeof(Strict))]
                [Payload(typeof(Strict))]
                [Payload(typeof(Lenient))]
                [Payload(typeof(Old))]
                internal partial class Ctx : PayloadContext { }
                """),
            ("Strict.cs", "public sealed class Strict { public object? Anything { get; set; } }"),
            ("Lenient.cs", "public sealed class Lenient { public object? Anything { get; set; } }"),
            (Path.Combine("Legacy", "Old.cs"), "public sealed class Old { public object? Anything { get; set; } }"),
        }.Select(t => CSharpSyntaxTree.ParseText(t.Item2, GeneratorDriverHelper.ParseOptions, Path.Combine(folder, t.Item1)));
        var compilation = GeneratorDriverHelper.CreateCompilation().AddSyntaxTrees(trees);
        compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new EditorConfigTreeOptions(set)));

        var reported = RunGenerator(compilation)
            .Select(d => $"{d.Id}:{d.Severity}:{Path.GetRelativePath(folder, d.Location.SourceTree!.FilePath)}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(["NAP0003:Error:Strict.cs", "NAP0003:Warning:Lenient.cs", "NAP0005:Error:Context.cs"], reported);
    }

    /// <summary>
    /// The whole way a user goes: a project with an <c>.editorconfig</c>, a <c>#pragma</c> and a <c>[SuppressMessage]</c>,
    /// built by <c>dotnet build</c> with this generator as its analyzer. Three members the generator cannot serialize
    /// are silenced, a fourth is reported as the warning the .editorconfig makes it, and the build succeeds.
    /// </summary>
    [Fact]
    [Trait("Category", "Build")]
    public void Dotnet_build_applies_editorconfig_pragma_and_SuppressMessage()
    {
        var work = Path.Combine(Path.GetTempPath(), "nap-suppress-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            // Nothing from the folders above (a Directory.Build.props, an .editorconfig) may change this build.
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Suppress.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <!-- A compiler server could still hold an earlier build of the generator from the same path. -->
                    <UseSharedCompilation>false</UseSharedCompilation>
                  </PropertyGroup>
                  <ItemGroup>
                    <Reference Include="{typeof(PayloadContext).Assembly.Location}" />
                    <Analyzer Include="{typeof(PayloadGenerator).Assembly.Location}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(work, ".editorconfig"), """
                root = true

                [Lenient.cs]
                dotnet_diagnostic.NAP0003.severity = warning

                [Legacy.cs]
                dotnet_diagnostic.NAP0003.severity = none
                """);
            File.WriteAllText(Path.Combine(work, "Context.cs"), """
                using NativeAotPersistence;
                [Payload(typeof(Pragma))]
                [Payload(typeof(Attributed))]
                [Payload(typeof(Lenient))]
                [Payload(typeof(Legacy))]
                internal partial class Ctx : PayloadContext { }
                """);
            File.WriteAllText(Path.Combine(work, "Pragma.cs"), """
                public sealed class Pragma
                {
                #pragma warning disable NAP0003
                    public object? Anything { get; set; }
                #pragma warning restore NAP0003
                }
                """);
            File.WriteAllText(Path.Combine(work, "Attributed.cs"), """
                public sealed class Attributed
                {
                    [System.Diagnostics.CodeAnalysis.SuppressMessage("NativeAotPersistence.Payloads", "NAP0003", Justification = "Test")]
                    public object? Anything { get; set; }
                }
                """);
            File.WriteAllText(Path.Combine(work, "Lenient.cs"), "public sealed class Lenient { public object? Anything { get; set; } }\n");
            File.WriteAllText(Path.Combine(work, "Legacy.cs"), "public sealed class Legacy { public object? Anything { get; set; } }\n");

            var (exitCode, output) = DotnetCli.Run(work, "build", "-nodeReuse:false", "-clp:NoSummary");
            // "/tmp/.../Lenient.cs(1,40): warning NAP0003: The type ... [/tmp/.../Suppress.csproj]" as "Lenient.cs(1,40) warning NAP0003".
            var reported = output.Split('\n')
                .Where(static l => l.Contains(": error ", StringComparison.Ordinal) || l.Contains(": warning ", StringComparison.Ordinal))
                .Select(static l => BuildMessage().Match(l) is { Success: true } m
                    ? $"{Path.GetFileName(m.Groups["file"].Value)}({m.Groups["position"].Value}) {m.Groups["severity"].Value} {m.Groups["id"].Value}"
                    : l.Trim())
                .Distinct(StringComparer.Ordinal)
                .ToList();
            Assert.True(exitCode == 0, output);
            Assert.Equal(["Lenient.cs(1,46) warning NAP0003"], reported);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static ImmutableArray<Diagnostic> RunGenerator(Compilation compilation)
    {
        GeneratorDriverHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);
        return diagnostics;
    }

    private static IEnumerable<Diagnostic> InOrder(IEnumerable<Diagnostic> diagnostics) =>
        diagnostics.OrderBy(static d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(static d => d.Location.SourceSpan.Start);

    private static IEnumerable<string> Severities(IEnumerable<Diagnostic> diagnostics) =>
        InOrder(diagnostics).Select(static d => $"{d.Id}:{d.Severity}");

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*(?<file>.+?)\((?<position>\d+,\d+)\): (?<severity>error|warning) (?<id>\w+):")]
    private static partial System.Text.RegularExpressions.Regex BuildMessage();

    private static string Text(Diagnostic diagnostic) =>
        diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);

    /// <summary>The per-tree and global severities of an <see cref="AnalyzerConfigSet"/>, as the compiler hands them to a compilation.</summary>
    private sealed class EditorConfigTreeOptions(AnalyzerConfigSet set) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            set.GetOptionsForSourcePath(tree.FilePath).TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            set.GlobalConfigOptions.TreeOptions.TryGetValue(diagnosticId, out severity);
    }
}
