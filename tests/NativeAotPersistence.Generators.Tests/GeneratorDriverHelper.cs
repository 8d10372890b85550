using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>Runs the payload generator and analyzer over C# source, as the compiler would.</summary>
internal static class GeneratorDriverHelper
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = paths
            .Where(static p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) ||
                               Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(static p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(PayloadContext).Assembly.Location));
        return [.. references];
    });

    public static CSharpCompilation CreateCompilation(params string[] sources)
    {
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs"));
        return CSharpCompilation.Create(
            "GeneratorTests" + Guid.NewGuid().ToString("N"),
            trees,
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new PayloadGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the generator's diagnostics, the generated sources and the updated compilation.</summary>
    public static GeneratorOutput Run(params string[] sources)
    {
        var compilation = CreateCompilation(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var generated = driver.GetRunResult().GeneratedTrees
            .OrderBy(static t => t.FilePath, StringComparer.Ordinal)
            .Select(static t => (Path.GetFileName(t.FilePath), t.GetText().ToString()))
            .ToImmutableArray();
        return new GeneratorOutput(diagnostics, generated, output);
    }

    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation, DiagnosticAnalyzer analyzer) =>
        compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();

    /// <summary>Emits the compilation and loads it into a collectible context; dependencies come from the test process.</summary>
    public static (AssemblyLoadContext Context, Assembly Assembly) Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext("generator-test", isCollectible: true);
        return (context, context.LoadFromStream(stream));
    }
}

internal sealed record GeneratorOutput(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<(string Name, string Text)> Sources, Compilation Compilation)
{
    /// <summary>Errors and warnings of the final compilation (user code plus generated code).</summary>
    public IEnumerable<Diagnostic> CompilationProblems =>
        Compilation.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning);
}
