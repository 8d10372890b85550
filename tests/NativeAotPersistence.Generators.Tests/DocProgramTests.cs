using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NativeAotPersistence.Tests.Shared;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// The whole programs of the README and docs/ (<c>&lt;!-- snippet: program Name --&gt;</c>): each compiles as it is, as
/// the <c>Program.cs</c> of a new console project (implicit usings, nullable on), with the payload generator and no
/// warning, and runs. (CI also builds the README's quick start against the packed package, in eng/consumer-test.sh.)
/// </summary>
public sealed class DocProgramTests
{
    // What `dotnet new console` turns on: ImplicitUsings for Microsoft.NET.Sdk.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [Fact]
    public void EveryWholeProgram_CompilesAsItIs_WithoutAWarning_AndRuns()
    {
        var programs = DocSnippets.Blocks(DocSnippets.RepositoryRoot()).Where(static b => b.IsProgram).ToList();
        Assert.Contains(programs, static p => p.Name == "QuickStart");
        foreach (var program in programs)
        {
            var compilation = CSharpCompilation.Create(
                program.Name,
                [
                    CSharpSyntaxTree.ParseText(ImplicitUsings, GeneratorDriverHelper.ParseOptions, path: "GlobalUsings.g.cs"),
                    CSharpSyntaxTree.ParseText(program.Code, GeneratorDriverHelper.ParseOptions, path: "Program.cs"),
                ],
                GeneratorDriverHelper.CreateCompilation().References,
                new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
            GeneratorDriverHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            var problems = generatorDiagnostics.Concat(output.GetDiagnostics())
                .Where(static d => d.Severity >= DiagnosticSeverity.Warning)
                .ToList();
            Assert.True(problems.Count == 0, $"{program.File}:{program.Line} ({program.Name}):\n" + string.Join('\n', problems));

            var (context, assembly) = GeneratorDriverHelper.Load(output);
            var directory = Directory.CreateTempSubdirectory("nap-doc-program-").FullName;
            try
            {
                var first = Run(assembly, directory);
                var second = Run(assembly, directory);
                Assert.NotEmpty(first.Text);
                if (program.Name == "QuickStart")
                {
                    Assert.Contains("cached order 42: 19.90", first.Text, StringComparison.Ordinal);
                    Assert.Contains("holding the report lock, token ", first.Text, StringComparison.Ordinal);
                    Assert.Contains("import resumes at row 4000", first.Text, StringComparison.Ordinal);

                    // The same receipt on the second run: the store kept the first one.
                    Assert.Equal(Line(first.Text, "charge 42: "), Line(second.Text, "charge 42: "));
                    Assert.Contains("payments failures so far: 2", second.Text, StringComparison.Ordinal);
                }
            }
            finally
            {
                context.Unload();
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string Line(string text, string prefix) =>
        Assert.Single(text.Split('\n'), l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Runs the program's entry point in <paramref name="directory"/>; returns what it printed.</summary>
    private static (string Text, string Directory) Run(System.Reflection.Assembly assembly, string directory)
    {
        var previousDirectory = Environment.CurrentDirectory;
        var previousOut = Console.Out;
        using var writer = new StringWriter();
        lock (s_console)
        {
            try
            {
                Environment.CurrentDirectory = directory;
                Console.SetOut(writer);
                var entry = assembly.EntryPoint!;
                entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            }
            finally
            {
                Console.SetOut(previousOut);
                Environment.CurrentDirectory = previousDirectory;
            }
        }

        return (writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), directory);
    }

    private static readonly Lock s_console = new();
}
