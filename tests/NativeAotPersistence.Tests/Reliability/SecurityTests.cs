using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Issue 9, test 7: every SQL text the runtime runs is a constant (user strings are only ever bound), and the files the
/// library creates are owner-only. The basic file-mode check is Sqlite/LifecycleTests.ACreatedFile_IsOwnerOnly.
/// </summary>
public partial class SecurityTests
{
    // Calls that take SQL text, and which argument (0-based) is the SQL.
    private static readonly (string Pattern, int SqlArgument)[] s_sqlCalls =
    [
        (@"\bsqlite3_prepare(?:_v2|_v3)?\s*\(", 1),
        (@"\bsqlite3_exec\s*\(", 1),
        (@"\bsqlite3_blob_open\s*\(", 2),
        (@"\.ExecuteScript\s*\(", 0),
        (@"\.QueryText\s*\(", 0),
    ];

    private static string RuntimeSourceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Runtime");
            if (File.Exists(Path.Combine(dir.FullName, "NativeAotPersistence.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("The repository's src/Runtime was not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void EverySqlTextTheRuntimeRuns_IsAConstant_NoUserStringIsConcatenatedIntoSql()
    {
        var root = RuntimeSourceDirectory();
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);
        var constants = new HashSet<string>(files.Values.SelectMany(s => ConstStringDeclaration().Matches(s).Select(m => m.Groups[1].Value)));

        var sites = new List<string>();
        var violations = new List<string>();
        foreach (var (name, source) in files)
        {
            foreach (var (site, verdict) in FindSqlCallSites(source, constants))
            {
                sites.Add($"{name}: {site}");
                if (verdict is not null)
                {
                    violations.Add($"{name}: {site}: {verdict}");
                }
            }
        }

        Assert.True(violations.Count == 0, "SQL built from non-constant text:\n" + string.Join("\n", violations));
        Assert.True(sites.Count >= 10, "Suspiciously few SQL call sites found:\n" + string.Join("\n", sites));
        TestContext.Current.TestOutputHelper?.WriteLine($"{sites.Count} SQL call sites, all constant:\n" + string.Join("\n", sites));
    }

    [Fact]
    public void TheSqlRegistries_HoldOnlyLiterals()
    {
        // Every kind declares its statements (and its table) in its own Sqlite*Sql.cs; the engine has SqliteEngineSql.cs.
        var registries = Directory.EnumerateFiles(RuntimeSourceDirectory(), "Sqlite*Sql.cs", SearchOption.AllDirectories).ToList();
        Assert.True(registries.Count >= 6, $"Only {registries.Count} SQL registries found.");
        var statements = 0;
        foreach (var file in registries)
        {
            var source = File.ReadAllText(file);
            foreach (Match declaration in SqlStatementDeclaration().Matches(source))
            {
                statements++;
                var body = declaration.Groups["body"].Value.Trim();
                Assert.True(
                    Utf8Literal().IsMatch(body),
                    $"{Path.GetFileName(file)}: {declaration.Groups["id"].Value} is not a plain u8 literal: {body}");
            }

            Assert.DoesNotContain("$\"", source, StringComparison.Ordinal);
            Assert.DoesNotContain("string.Concat", source, StringComparison.Ordinal);
            Assert.DoesNotContain("string.Format", source, StringComparison.Ordinal);
            Assert.DoesNotContain("\" +", source, StringComparison.Ordinal);
        }

        Assert.True(statements >= 45, $"Only {statements} statements recognized.");
    }

    [Theory]
    [InlineData("c.ExecuteScript(\"DELETE FROM go_goscope_cache WHERE key = '\" + key + \"'\", op);")]
    [InlineData("c.QueryText($\"SELECT value FROM go_goscope_meta WHERE key = '{key}'\", op);")]
    [InlineData("sqlite3_exec(Handle, sql);")]
    [InlineData("sqlite3_prepare_v2(Handle, string.Concat(\"SELECT \", column), out var s);")]
    [InlineData("sqlite3_prepare_v2(Handle, Build(key), out var s);")]
    [InlineData("c.ExecuteScript(CreateScript + suffix, op);")]
    public void TheScan_CatchesSqlBuiltFromAVariable(string line)
    {
        var verdicts = FindSqlCallSites("void M() {\n" + line + "\n}", new HashSet<string> { "CreateScript" }).ToList();
        var (_, verdict) = Assert.Single(verdicts);
        Assert.NotNull(verdict);
    }

    [Theory]
    [InlineData("c.ExecuteScript(\"PRAGMA synchronous=NORMAL;\", \"connect\");")]
    [InlineData("sqlite3_exec(Handle, \"ROLLBACK TO nap_tx; RELEASE nap_tx;\");")]
    [InlineData("sqlite3_prepare_v3(Handle, sql.Utf8, SQLITE_PREPARE_PERSISTENT, out var statement);")]
    [InlineData("c.ExecuteScript(CreateScript, operation);")]
    [InlineData("c.ExecuteScript(s.Full ? \"PRAGMA synchronous=FULL;\" : \"PRAGMA synchronous=NORMAL;\", \"connect\");")]
    [InlineData("c.QueryText(\"\"\"\n SELECT 1 \n\"\"\", op);")]
    public void TheScan_AcceptsConstants(string line)
    {
        var (_, verdict) = Assert.Single(FindSqlCallSites("void M() {\n" + line + "\n}", new HashSet<string> { "CreateScript" }));
        Assert.Null(verdict);
    }

    /// <summary>Finds calls that take SQL text; the verdict is null when the SQL argument is constant.</summary>
    private static IEnumerable<(string Site, string? Verdict)> FindSqlCallSites(string source, IReadOnlySet<string> constants)
    {
        var code = StripComments(source);
        foreach (var (pattern, index) in s_sqlCalls)
        {
            foreach (Match call in Regex.Matches(code, pattern))
            {
                // The wrappers' own bodies pass their 'sql' parameter on; their call sites are what is checked.
                var header = code[..call.Index];
                var declaration = Regex.Matches(header, @"\b(?:public|private|internal)\b[^;{}=]*?\b(\w+)\s*\(([^)]*)\)\s*\{?\s*$", RegexOptions.Multiline);
                var args = SplitArguments(code, call.Index + call.Length);
                var line = code[..call.Index].Count(c => c == '\n') + 1;
                var site = $"line {line}: {call.Value.Trim()}{(args.Count > index ? args[index].Trim() : "?")}";
                if (args.Count <= index)
                {
                    yield return (site, "cannot read the SQL argument");
                    continue;
                }

                var sql = args[index].Trim();
                if (sql == "sql" && declaration.Count > 0 && declaration[^1].Groups[1].Value is "ExecuteScript" or "QueryText"
                    && declaration[^1].Groups[2].Value.Contains("string sql", StringComparison.Ordinal))
                {
                    yield return (site, null);
                    continue;
                }

                yield return (site, IsConstant(sql, constants) ? null : "not a constant");
            }
        }
    }

    private static bool IsConstant(string expression, IReadOnlySet<string> constants)
    {
        expression = expression.Trim();
        if (expression.Length == 0)
        {
            return false;
        }

        // cond ? "a" : "b" with constant branches (the condition chooses, it is not spliced in).
        var parts = SplitTopLevel(expression, '?');
        if (parts.Count == 2)
        {
            var branches = SplitTopLevel(parts[1], ':');
            return branches.Count == 2 && IsConstant(branches[0], constants) && IsConstant(branches[1], constants);
        }

        var terms = SplitTopLevel(expression, '+');
        if (terms.Count > 1)
        {
            return terms.All(t => IsConstant(t, constants));
        }

        return Utf8Literal().IsMatch(expression)
            || StringLiteral().IsMatch(expression)
            || constants.Contains(expression)
            || SqlRegistryText().IsMatch(expression);
    }

    private static List<string> SplitArguments(string code, int start) => SplitTopLevel(ReadUntilClose(code, start), ',');

    private static string ReadUntilClose(string code, int start)
    {
        var depth = 1;
        for (var i = start; i < code.Length; i++)
        {
            var skip = SkipLiteral(code, i);
            if (skip > i)
            {
                i = skip - 1;
                continue;
            }

            depth += code[i] switch { '(' or '[' or '{' => 1, ')' or ']' or '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return code[start..i];
            }
        }

        return code[start..];
    }

    private static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var last = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var skip = SkipLiteral(text, i);
            if (skip > i)
            {
                i = skip - 1;
                continue;
            }

            depth += text[i] switch { '(' or '[' or '{' => 1, ')' or ']' or '}' => -1, _ => 0 };
            if (depth == 0 && text[i] == separator)
            {
                parts.Add(text[last..i]);
                last = i + 1;
            }
        }

        parts.Add(text[last..]);
        return parts;
    }

    /// <summary>If a string or char literal starts at <paramref name="i"/>, returns the index after it; else <paramref name="i"/>.</summary>
    private static int SkipLiteral(string s, int i)
    {
        var j = i;
        while (j < s.Length && s[j] is '$' or '@')
        {
            j++;
        }

        if (j >= s.Length || (s[j] != '"' && !(s[j] == '\'' && j == i)))
        {
            return i;
        }

        if (s[j] == '\'')
        {
            var end = j + 1;
            while (end < s.Length && s[end] != '\'')
            {
                end += s[end] == '\\' ? 2 : 1;
            }

            return Math.Min(end + 1, s.Length);
        }

        var quotes = 0;
        while (j + quotes < s.Length && s[j + quotes] == '"')
        {
            quotes++;
        }

        if (quotes >= 3)
        {
            var close = s.IndexOf(new string('"', quotes), j + quotes, StringComparison.Ordinal);
            return close < 0 ? s.Length : close + quotes;
        }

        var verbatim = s[i..j].Contains('@', StringComparison.Ordinal);
        for (var k = j + 1; k < s.Length; k++)
        {
            if (!verbatim && s[k] == '\\')
            {
                k++;
            }
            else if (s[k] == '"')
            {
                if (verbatim && k + 1 < s.Length && s[k + 1] == '"')
                {
                    k++;
                    continue;
                }

                return k + 1;
            }
        }

        return s.Length;
    }

    private static string StripComments(string source)
    {
        var result = new System.Text.StringBuilder(source.Length);
        for (var i = 0; i < source.Length; i++)
        {
            var skip = SkipLiteral(source, i);
            if (skip > i)
            {
                result.Append(source, i, skip - i);
                i = skip - 1;
            }
            else if (source[i] == '/' && i + 1 < source.Length && source[i + 1] == '/')
            {
                while (i < source.Length && source[i] != '\n')
                {
                    i++;
                }

                result.Append('\n');
            }
            else if (source[i] == '/' && i + 1 < source.Length && source[i + 1] == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                var comment = source[i..(end < 0 ? source.Length : end + 2)];
                result.Append('\n', comment.Count(c => c == '\n'));
                i = (end < 0 ? source.Length : end + 2) - 1;
            }
            else
            {
                result.Append(source[i]);
            }
        }

        return result.ToString();
    }

    [GeneratedRegex(@"\bconst\s+string\s+(\w+)\s*=")]
    private static partial Regex ConstStringDeclaration();

    [GeneratedRegex(@"^(?:""(?:[^""\\\n]|\\.)*""|""{3,}[\s\S]*?""{3,})u8$")]
    private static partial Regex Utf8Literal();

    [GeneratedRegex(@"^(?:""(?:[^""\\\n]|\\.)*""|@""(?:[^""]|"""")*""|""{3,}[\s\S]*?""{3,})$")]
    private static partial Regex StringLiteral();

    // The statement registry's text (sql.Utf8) and a kind's table scripts (table.Create, a migration's script): every
    // one a literal, which TheSqlRegistries_HoldOnlyLiterals checks where they are declared.
    [GeneratedRegex(@"^(?:sql\.Utf8|table\.Create|script)$")]
    private static partial Regex SqlRegistryText();

    [GeneratedRegex(@"SqlStatement\s+(?<id>\w+)\s*=\s*new\((?<body>[\s\S]*?u8)\);", RegexOptions.Multiline)]
    private static partial Regex SqlStatementDeclaration();

    [Fact]
    public async Task FilesCreatedUnderAPermissiveUmask_DatabaseWalShmAndBackup_AreStillOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        using var dir = new TempDirectory();
        var db = dir.File("umask.db");

        // A child process with umask 000 creates the database (and its -wal and -shm), keeping it open while we look.
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        foreach (var a in new[] { "-c", "umask 000 && exec \"$0\" \"$@\"", dotnet, ChildProcess.TestHostDll, "crash-writer", db, "0" })
        {
            start.ArgumentList.Add(a);
        }

        using var child = Process.Start(start)!;
        try
        {
            await child.StandardInput.WriteLineAsync("go");
            await child.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(90));
            while (await child.StandardOutput.ReadLineAsync(cts.Token) is { } line && !line.StartsWith("A ", StringComparison.Ordinal))
            {
            }

            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Assert.Equal(ownerOnly, File.GetUnixFileMode(db));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(db + "-wal"));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(db + "-shm"));
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        // A backup the library writes is owner-only too.
        await using var adapter = await SqliteAdapter.OpenAsync(db);
        await adapter.BackupAsync(dir.File("copy.db"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("copy.db")));
    }
}
