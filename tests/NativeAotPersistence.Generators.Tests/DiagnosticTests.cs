using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>One test per diagnostic id (NAP0011, the analyzer's, is in <see cref="AnalyzerTests"/>).</summary>
public sealed class DiagnosticTests
{
    private static readonly Dictionary<Diagnostic, string> Texts = [];

    private static Diagnostic Single(string id, params string[] sources)
    {
        var output = GeneratorDriverHelper.Run(sources);
        var diagnostic = Assert.Single(output.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticDescriptors.HelpLink(RepositoryInfo.Url, id) ?? "", diagnostic.Descriptor.HelpLinkUri);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot(), "docs", "diagnostics", id + ".md")), "missing docs page for " + id);

        // Generator diagnostics point into the user's own syntax tree (so #pragma and .editorconfig apply to them).
        Assert.Equal(LocationKind.SourceFile, diagnostic.Location.Kind);
        var tree = diagnostic.Location.SourceTree!;
        Assert.Contains(tree, output.Compilation.SyntaxTrees);
        lock (Texts)
        {
            Texts[diagnostic] = tree.GetText().ToString(diagnostic.Location.SourceSpan);
        }

        return diagnostic;
    }

    private static string At(Diagnostic diagnostic)
    {
        lock (Texts)
        {
            return Texts[diagnostic];
        }
    }

    internal static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "")
    {
        var directory = Path.GetDirectoryName(file);
        while (directory is not null && !File.Exists(Path.Combine(directory, "NativeAotPersistence.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("Repository root not found from " + file);
    }

    [Fact]
    public void HelpLinks_AreBuiltFromTheRepositoryUrl_AndAbsentWithoutOne()
    {
        // No public home yet: no link at all, never a relative path that points nowhere from a user's IDE.
        Assert.Null(DiagnosticDescriptors.HelpLink("", "NAP0001"));
        Assert.Null(DiagnosticDescriptors.HelpLink("  ", "NAP0001"));
        Assert.Equal("https://example.org/nap/blob/main/docs/diagnostics/NAP0007.md", DiagnosticDescriptors.HelpLink("https://example.org/nap/", "NAP0007"));
        Assert.Equal(RepositoryInfo.Url.Length == 0 ? "" : RepositoryInfo.Url.TrimEnd('/') + "/blob/main/docs/diagnostics/NAP0001.md",
            DiagnosticDescriptors.ContextNotPartial.HelpLinkUri);
    }

    [Fact]
    public void NAP0001_ContextNotPartial()
    {
        var d = Single("NAP0001", """
            using NativeAotPersistence;
            public sealed record Item(int Id);
            [Payload(typeof(Item))]
            internal class Ctx : PayloadContext { public override PayloadTypeInfo? GetTypeInfo(System.Type type) => null; }
            """);
        Assert.Equal("Ctx", At(d));
    }

    [Fact]
    public void NAP0002_ContextNotPayloadContext()
    {
        var d = Single("NAP0002", """
            using NativeAotPersistence;
            public sealed record Item(int Id);
            [Payload(typeof(Item))]
            internal partial class Ctx { }
            """);
        Assert.Equal("Ctx", At(d));
    }

    [Fact]
    public void NAP0003_UnsupportedMemberType()
    {
        var d = Single("NAP0003", """
            using NativeAotPersistence;
            public sealed class Item { public int Id { get; set; } public System.Collections.Generic.Dictionary<int[], string>? ByNumber { get; set; } }
            [Payload(typeof(Item))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal("ByNumber", At(d));
        Assert.Contains("Dictionary<int[], string>", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void NAP0003_UnsupportedRootType()
    {
        var d = Single("NAP0003", """
            using NativeAotPersistence;
            [Payload(typeof(object))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Contains("Payload(typeof(object))", At(d), StringComparison.Ordinal);
    }

    [Fact]
    public void NAP0004_NoUsableConstructor()
    {
        var d = Single("NAP0004", """
            using NativeAotPersistence;
            public sealed class Pair
            {
                public Pair(int a) { A = a; }
                public Pair(int a, int b) { A = a; B = b; }
                public int A { get; }
                public int B { get; }
            }
            [Payload(typeof(Pair))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal("Pair", At(d));
    }

    [Fact]
    public void NAP0005_DuplicateRoot()
    {
        var d = Single("NAP0005", """
            using NativeAotPersistence;
            public sealed record Item(int Id);
            [Payload(typeof(Item))]
            [Payload(typeof(Item))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    [Fact]
    public void NAP0006_RootPropertyNameCollision()
    {
        var d = Single("NAP0006", """
            using NativeAotPersistence;
            namespace A { public sealed record Item(int Id); }
            namespace B { public sealed record Item(string Name); }
            [Payload(typeof(A.Item))]
            [Payload(typeof(B.Item))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Contains("PropertyName", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var fixedOutput = GeneratorDriverHelper.Run("""
            using NativeAotPersistence;
            namespace A { public sealed record Item(int Id); }
            namespace B { public sealed record Item(string Name); }
            [Payload(typeof(A.Item))]
            [Payload(typeof(B.Item), PropertyName = "OtherItem")]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Empty(fixedOutput.Diagnostics);
        Assert.Empty(fixedOutput.CompilationProblems);
    }

    [Fact]
    public void NAP0007_JsonNameCollision()
    {
        var d = Single("NAP0007", """
            using NativeAotPersistence;
            using System.Text.Json.Serialization;
            public sealed class Item
            {
                public string? Name { get; set; }
                [JsonPropertyName("name")] public string? Title { get; set; }
            }
            [Payload(typeof(Item))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal("Title", At(d));
    }

    [Fact]
    public void NAP0008_JsonConverterUnsupported()
    {
        var d = Single("NAP0008", """
            using NativeAotPersistence;
            using System.Text.Json.Serialization;
            public sealed class Item
            {
                [JsonConverter(typeof(JsonStringEnumConverter))] public int Value { get; set; }
            }
            [Payload(typeof(Item))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal("Value", At(d));
    }

    [Fact]
    public void NAP0009_PolymorphismUnsupported()
    {
        var d = Single("NAP0009", """
            using NativeAotPersistence;
            using System.Text.Json.Serialization;
            [JsonDerivedType(typeof(Circle), "circle")]
            public class Shape { public int Id { get; set; } }
            public sealed class Circle : Shape { }
            [Payload(typeof(Shape))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal("Shape", At(d));
    }

    [Fact]
    public void NAP0010_ExtensionDataUnsupported()
    {
        var d = Single("NAP0010", """
            using NativeAotPersistence;
            using System.Text.Json.Serialization;
            public sealed class Doc
            {
                public int Id { get; set; }
                [JsonExtensionData] public System.Collections.Generic.Dictionary<string, object>? Extra { get; set; }
            }
            [Payload(typeof(Doc))]
            internal partial class Ctx : PayloadContext { }
            """);
        Assert.Equal("Extra", At(d));
    }

    [Fact]
    public void NAP0012_ContextMustBeTopLevel()
    {
        var d = Single("NAP0012", """
            using NativeAotPersistence;
            public sealed record Item(int Id);
            public partial class Outer
            {
                [Payload(typeof(Item))]
                internal partial class Ctx : PayloadContext { public override PayloadTypeInfo? GetTypeInfo(System.Type type) => null; }
            }
            """);
        Assert.Equal("Ctx", At(d));
    }
}
