using NativeAotPersistence;

namespace AotConsole;

/// <summary>The tool's exit codes.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int LockHeld = 3;
    public const int LockLost = 4;
    public const int Interrupted = 130;
}

/// <summary>What every command shares: the store's options and one-line errors.</summary>
internal static class Cli
{
    /// <summary>The key prefix of everything the tool stores, so the file can be shared with other applications.</summary>
    public const string KeyPrefix = "aotconsole:";

    public static PersistenceAdapterOptions StoreOptions(LockScope scope, string prefix = KeyPrefix, bool createTables = true) => new()
    {
        KeyPrefix = prefix,
        Payloads = SamplePayloads.Default,
        LockScope = scope,
        CreateTables = createTables,

        // ExecuteOnceAsync holds a short database lock around each delivery, renewed while it runs. A run killed inside
        // one leaves it behind, so keep its TTL short: the resumed run waits at most this long for that batch.
        DefaultLockTtl = TimeSpan.FromSeconds(2),
    };

    public static void Error(string message) => Console.Error.WriteLine("aotconsole: " + message);

    /// <summary>Fails with a usage error unless the file exists (for the commands that only read or tidy a database).</summary>
    public static bool RequireExisting(string path)
    {
        if (File.Exists(path))
        {
            return true;
        }

        Error(Directory.Exists(path) ? $"'{path}' is a directory, not a database file" : $"no database file at '{path}'");
        return false;
    }

    /// <summary>
    /// Whether a file has zero bytes: SQLite treats it as an empty database, and inspect and prune create the schema in
    /// it. Any other file must already hold the schema: they never add tables to someone else's database.
    /// </summary>
    public static bool IsEmptyFile(string path) => new FileInfo(path).Length == 0;

    /// <summary>Whether an exception is an expected failure, reported by <see cref="Report"/> as one line.</summary>
    public static bool Expected(Exception e) =>
        e is PersistenceException or UpstreamStoreException or ArgumentException or IOException or UnauthorizedAccessException or OperationCanceledException;

    /// <summary>Prints an expected failure as one line on stderr (never a stack trace) and returns its exit code.</summary>
    public static int Report(Exception e)
    {
        if (e is OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }

        Error(e.Message);
        return e is ArgumentException ? ExitCodes.Usage : ExitCodes.Error;
    }

    /// <summary>
    /// The generated help, for people: the program's name after "Usage:", no "[Default: null]" after options whose
    /// description says their default, plain defaults instead of C# literals, and that <c>run</c> is the default command.
    /// </summary>
    public static string PolishHelp(string help)
    {
        if (!help.StartsWith("Usage: ", StringComparison.Ordinal))
        {
            return help;
        }

        var text = "Usage: aotconsole " + help["Usage: ".Length..];
        text = text.Replace(" [Default: null]", "", StringComparison.Ordinal);
        for (var at = text.IndexOf("[Default: @\"", StringComparison.Ordinal); at >= 0; at = text.IndexOf("[Default: @\"", at, StringComparison.Ordinal))
        {
            var end = text.IndexOf("\"]", at, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }

            text = string.Concat(text[..at], "[Default: ", text[(at + 12)..end], "]", text[(end + 2)..]);
        }

        if (text.Contains("\nCommands:", StringComparison.Ordinal))
        {
            text += "\n\nWithout a command, aotconsole runs `run`: `aotconsole --records 5000` is `aotconsole run --records 5000`.";
        }

        return text;
    }
}
