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

    /// <summary>Runs a command, turning every expected failure into one line on stderr and an exit code.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (PersistenceException e)
        {
            Error(e.Message);
            return ExitCodes.Error;
        }
        catch (UpstreamStoreException e)
        {
            Error(e.Message);
            return ExitCodes.Error;
        }
        catch (ArgumentException e)
        {
            Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (IOException e)
        {
            Error(e.Message);
            return ExitCodes.Error;
        }
        catch (UnauthorizedAccessException e)
        {
            Error(e.Message);
            return ExitCodes.Error;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
    }
}
