using System.Text.RegularExpressions;

namespace NativeAotPersistence.Tests.Docs;

/// <summary>
/// Nothing in the repository points outside it: a clone or a package user has only what is here, so README, docs,
/// samples, code comments and build files say what they need in their own words.
/// </summary>
public sealed class RepositoryReferencesTests
{
    // Built from pieces, so this file does not match itself.
    private static readonly string Outside = string.Concat("..", "/", "shared");
    private static readonly Regex NotOurs = new(
        string.Concat(
            @"(?<![\w/.-])(?:", "SPEC", "|", "API", "|", "PERF", "|", "DESIGN", "|", "STYLE", "|", "RECIPES", @")\.md\b",
            @"|(?<![\w.-])shared/(?:seed|hooks)\b"),
        RegexOptions.CultureInvariant);

    private static readonly string[] SkippedFolders = ["bin", "obj", ".git", "TestResults", "node_modules", ".vs"];

    [Fact]
    public void NoFileInTheRepository_PointsOutsideIt()
    {
        var root = RepositoryRoot();
        var found = new List<string>();
        foreach (var file in Files(root))
        {
            var text = File.ReadAllText(file);
            if (text.Contains('\0', StringComparison.Ordinal))
            {
                continue; // binary (a database fixture)
            }

            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Contains(Outside, StringComparison.Ordinal) || NotOurs.IsMatch(lines[i]))
                {
                    found.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(found.Count == 0, "Paths outside the repository (say it in our own docs instead):\n" + string.Join('\n', found));
    }

    [Fact]
    public void TheCheck_FindsWhatItLooksFor()
    {
        // A test that cannot fail is a defect: each form it must catch.
        Assert.Contains(Outside, "see " + Outside + "/x", StringComparison.Ordinal);
        Assert.Matches(NotOurs, "as " + "SPEC" + ".md says");
        Assert.Matches(NotOurs, "(" + "PERF" + ".md, static)");
        Assert.Matches(NotOurs, "shared/" + "seed/page");
        Assert.DoesNotMatch(NotOurs, "docs/postgresql.md");
        Assert.DoesNotMatch(NotOurs, "PublicAPI.Unshipped.txt");
    }

    private static string RepositoryRoot()
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

    private static IEnumerable<string> Files(string root)
    {
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out var dir))
        {
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(sub);
                if (!SkippedFolders.Contains(name, StringComparer.Ordinal) && (File.GetAttributes(sub) & FileAttributes.ReparsePoint) == 0)
                {
                    pending.Push(sub);
                }
            }

            foreach (var file in Directory.EnumerateFiles(dir))
            {
                if (new FileInfo(file).Length <= 4 * 1024 * 1024)
                {
                    yield return file;
                }
            }
        }
    }
}
