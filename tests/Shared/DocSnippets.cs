using System.Text.RegularExpressions;

namespace NativeAotPersistence.Tests.Shared;

/// <summary>
/// The C# snippets of the README and docs/: every <c>```csharp</c> block follows a marker line,
/// <c>&lt;!-- snippet: Name --&gt;</c> (the same text as the region <c>// snippet: Name</c> … <c>// end snippet</c> of a
/// test, which compiles and runs it) or <c>&lt;!-- snippet: program Name --&gt;</c> (a whole <c>Program.cs</c>, compiled
/// and run as it is by the generator tests).
/// </summary>
internal static partial class DocSnippets
{
    /// <summary>One C# block of a Markdown file: its marker's name (null: none), whether it is a whole program, and its text.</summary>
    internal sealed record Block(string File, int Line, string? Name, bool IsProgram, string Code);

    [GeneratedRegex(@"^<!-- snippet: (program )?([A-Za-z0-9_.-]+) -->$")]
    private static partial Regex Marker();

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".ci")) && File.Exists(Path.Combine(dir.FullName, "README.md")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with .ci/ and README.md) was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The Markdown files users read: the README, docs/ and the samples' READMEs.</summary>
    public static IEnumerable<string> MarkdownFiles(string root) =>
        new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateDirectories(Path.Combine(root, "samples")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists))
            .Order(StringComparer.Ordinal);

    public static IEnumerable<Block> Blocks(string root)
    {
        foreach (var file in MarkdownFiles(root))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart() != "```csharp")
                {
                    continue;
                }

                var indent = lines[i].Length - lines[i].TrimStart().Length;
                var code = new List<string>();
                var start = i + 1;
                for (i = start; i < lines.Length && lines[i].Trim() != "```"; i++)
                {
                    code.Add(lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart());
                }

                var marker = start - 2;
                while (marker >= 0 && lines[marker].Trim().Length == 0)
                {
                    marker--;
                }

                var match = marker >= 0 ? Marker().Match(lines[marker].Trim()) : Match.Empty;
                yield return new Block(
                    Path.GetRelativePath(root, file), start, match.Success ? match.Groups[2].Value : null, match.Success && match.Groups[1].Success, Normalize(code));
            }
        }
    }

    /// <summary>Lines without their common indentation and trailing blanks, joined by <c>\n</c>.</summary>
    public static string Normalize(IEnumerable<string> lines)
    {
        var list = lines.Select(l => l.TrimEnd()).ToList();
        while (list.Count > 0 && list[0].Length == 0)
        {
            list.RemoveAt(0);
        }

        while (list.Count > 0 && list[^1].Length == 0)
        {
            list.RemoveAt(list.Count - 1);
        }

        var indent = list.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', list.Select(l => l.Length >= indent ? l[indent..] : l));
    }
}
