using NativeAotPersistence.Tests.Shared;

namespace NativeAotPersistence.Tests.Docs;

/// <summary>
/// Docs are code: every C# snippet of the README and docs/ is the same text as a region of a test that compiles and
/// runs it (<c>// snippet: Name</c> … <c>// end snippet</c>), or a whole program that the generator tests compile and run.
/// </summary>
public sealed class DocSnippetTests
{
    [Fact]
    public void EverySnippet_IsATestsRegion_WordForWord()
    {
        var root = DocSnippets.RepositoryRoot();
        var regions = Regions(root);
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in DocSnippets.Blocks(root))
        {
            var where = $"{block.File}:{block.Line}";
            if (block.Name is null)
            {
                problems.Add($"{where}: a C# block without a '<!-- snippet: Name -->' line before it");
            }
            else if (block.IsProgram)
            {
                used.Add(block.Name);
            }
            else if (!regions.TryGetValue(block.Name, out var region))
            {
                problems.Add($"{where}: no test has the region '// snippet: {block.Name}'");
            }
            else
            {
                used.Add(block.Name);
                if (region.Code != block.Code)
                {
                    problems.Add($"{where}: '{block.Name}' differs from {region.File}:\n--- docs\n{block.Code}\n--- test\n{region.Code}");
                }
            }
        }

        problems.AddRange(regions.Keys.Where(name => !used.Contains(name)).Select(name => $"{regions[name].File}: the region '{name}' is in no document"));
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    [Fact]
    public void BinarySizes_AreStatedInOnePlace()
    {
        // docs/performance.md#sizes has them, from the CI run that printed them; a size anywhere else would drift.
        var size = new System.Text.RegularExpressions.Regex(@"\b\d[\d,]*(\.\d+)?\s?(MB|MiB|bytes)\b");
        var ours = new System.Text.RegularExpressions.Regex(@"(?i)\b(aotconsole|workerservice|binary|binaries|consumer|published|publish)\b");
        var root = DocSnippets.RepositoryRoot();
        var found = DocSnippets.MarkdownFiles(root)
            .Where(f => Path.GetRelativePath(root, f) != Path.Combine("docs", "performance.md"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(root, f), Line: i + 1, Text: line)))
            .Where(l => size.IsMatch(l.Text) && ours.IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(found.Count == 0, "Binary sizes outside docs/performance.md#sizes:\n" + string.Join('\n', found));
    }

    [Fact]
    public void TheCheck_ReadsMarkersAndRegionsAsWritten()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File(".ci"));
        Directory.CreateDirectory(dir.File("docs"));
        Directory.CreateDirectory(dir.File("samples"));
        File.WriteAllText(dir.File("README.md"), "x\n\n<!-- snippet: One -->\n```csharp\n    var a = 1;\n```\n\n```csharp\nvar b = 2;\n```\n<!-- snippet: program Two -->\n\n```csharp\nreturn;\n```\n");
        var blocks = DocSnippets.Blocks(dir.Path).ToList();
        Assert.Equal(
            [new DocSnippets.Block("README.md", 4, "One", false, "var a = 1;"), new DocSnippets.Block("README.md", 8, null, false, "var b = 2;"), new DocSnippets.Block("README.md", 13, "Two", true, "return;")],
            blocks);

        File.WriteAllText(dir.File("T.cs"), "class C\n{\n    void M()\n    {\n        // snippet: One\n        var a = 1;\n        // end snippet\n    }\n}\n");
        Assert.Equal("var a = 1;", Regions(dir.Path, dir.Path)["One"].Code);
    }

    private static Dictionary<string, (string File, string Code)> Regions(string root, string? folder = null)
    {
        var regions = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder ?? Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var trimmed = lines[i].Trim();
                if (!trimmed.StartsWith("// snippet: ", StringComparison.Ordinal))
                {
                    continue;
                }

                var name = trimmed["// snippet: ".Length..];
                var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "// end snippet");
                Assert.True(end > i, $"{file}:{i + 1}: the region '{name}' has no '// end snippet'");
                Assert.False(regions.ContainsKey(name), $"{file}:{i + 1}: a second region '{name}'");
                regions[name] = (Path.GetRelativePath(root, file), DocSnippets.Normalize(lines[(i + 1)..end]));
                i = end;
            }
        }

        return regions;
    }
}
