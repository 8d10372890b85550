using System.Text.RegularExpressions;

namespace NativeAotPersistence.Tests.Architecture;

/// <summary>
/// The shape docs/architecture.md describes, checked on the sources: the SQLite engine (src/Runtime/Sqlite) knows no
/// kind and no adapter, and a kind's folder never uses another kind's internal types (a kind reaches another's
/// machinery only through the adapter's context or the backend kit).
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly string[] KindFolders = ["Cache", "Locks", "CircuitBreakers", "Checkpoints", "Idempotency"];

    private static string Runtime([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "src", "Runtime"));

    private static string Code(string file) => CommentOrString().Replace(File.ReadAllText(file), " ");

    private static IEnumerable<string> Sources(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Runtime(), folder), "*.cs", SearchOption.AllDirectories);

    [Fact]
    public void TheSqliteEngine_ReferencesNoKindAndNoAdapter()
    {
        // Every type a kind folder declares, and the adapter's facade.
        var forbidden = KindFolders.SelectMany(Sources).Concat(Sources("SqliteAdapter"))
            .SelectMany(f => TypeDeclaration().Matches(Code(f)).Select(m => m.Groups["name"].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("SqliteCacheProvider", forbidden);
        Assert.Contains("SqliteAdapter", forbidden);

        var uses = Sources("Sqlite")
            .SelectMany(f => Identifier().Matches(Code(f)).Select(m => (File: Path.GetFileName(f), Name: m.Value)))
            .Where(u => forbidden.Contains(u.Name))
            .Distinct()
            .ToList();
        Assert.True(uses.Count == 0, "The engine uses: " + string.Join(", ", uses.Select(u => $"{u.File}: {u.Name}")));
    }

    [Fact]
    public void AKindNeverUsesAnotherKindsInternalTypes()
    {
        var internals = KindFolders.ToDictionary(
            k => k,
            k => Sources(k).SelectMany(f => InternalTypeDeclaration().Matches(Code(f)).Select(m => m.Groups["name"].Value)).ToHashSet(StringComparer.Ordinal));
        Assert.Contains("SqliteLockProvider", internals["Locks"]);

        var violations = new List<string>();
        foreach (var kind in KindFolders)
        {
            var others = internals.Where(o => o.Key != kind).SelectMany(o => o.Value).ToHashSet(StringComparer.Ordinal);
            foreach (var file in Sources(kind))
            {
                violations.AddRange(Identifier().Matches(Code(file)).Select(m => m.Value).Where(others.Contains).Distinct()
                    .Select(name => $"{kind}/{Path.GetFileName(file)}: {name}"));
            }
        }

        Assert.True(violations.Count == 0, "Kinds using each other's internals:\n" + string.Join("\n", violations));
    }

    [GeneratedRegex(@"//[^\n]*|/\*[\s\S]*?\*/|""""""[\s\S]*?""""""|""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"\b(?:class|struct|record|interface|enum)\s+(?:(?:struct|class)\s+)?(?<name>\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\binternal\s+(?:(?:sealed|static|abstract|partial|readonly|ref)\s+)*(?:class|struct|record|interface|enum)\s+(?:struct\s+)?(?<name>\w+)")]
    private static partial Regex InternalTypeDeclaration();

    [GeneratedRegex(@"\b[A-Za-z_]\w*\b")]
    private static partial Regex Identifier();
}
