namespace NativeAotPersistence.Benchmarks;

public enum Store
{
    Memory,
    WalFile,
}

public enum Size
{
    Small,
    Large,
}

internal static class BenchFiles
{
    private const string Prefix = "nap-bench-";

    private static readonly Lazy<int> s_staleDeleted = new(DeleteStale);

    /// <summary>A new temp directory, named after this process so a later run can tell it was left by a killed run.</summary>
    public static string NewDirectory()
    {
        _ = s_staleDeleted.Value;
        var dir = Path.Combine(Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string? dir)
    {
        if (dir is not null && Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Deletes the directories of benchmark processes that no longer run (killed before their cleanup).</summary>
    private static int DeleteStale()
    {
        var deleted = 0;
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var name = Path.GetFileName(dir).AsSpan(Prefix.Length);
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out var pid) && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                    deleted++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another process's, or being deleted meanwhile: leave it.
                }
            }
        }

        return deleted;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// The stores a one-caller cost mode compares (`--ratelimit`, `--tags`): <c>:memory:</c>, a WAL file (the library's
/// defaults) and, when <c>NAP_BENCH_POSTGRES</c> names a server, PostgreSQL; all under one fresh key prefix, the file in
/// a directory of its own that <see cref="DisposeAsync"/> deletes.
/// </summary>
internal sealed class BenchStores : IAsyncDisposable
{
    private readonly string _dir;

    private BenchStores(string dir, List<(string Name, IPersistenceAdapter Store)> all)
    {
        _dir = dir;
        All = all;
    }

    /// <summary>Gets the stores, in column order.</summary>
    public List<(string Name, IPersistenceAdapter Store)> All { get; }

    /// <summary>Gets a value indicating whether the PostgreSQL column is there.</summary>
    public bool HasPostgres => All.Count == 3;

    public static async Task<BenchStores> OpenAsync(string fileName)
    {
        var connectionString = Environment.GetEnvironmentVariable(PostgresBenchmarks.ConnectionStringVariable);
        var dir = BenchFiles.NewDirectory();
        var prefix = "bench-" + Guid.NewGuid().ToString("N")[..8] + ":";
        var all = new List<(string Name, IPersistenceAdapter Store)>
        {
            (":memory:", await SqliteAdapter.OpenAsync(":memory:", new PersistenceAdapterOptions { KeyPrefix = prefix })),
            ("WAL file", await SqliteAdapter.OpenAsync(Path.Combine(dir, fileName), new PersistenceAdapterOptions { KeyPrefix = prefix })),
        };
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            all.Add(("PostgreSQL", await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { KeyPrefix = prefix })));
        }

        return new BenchStores(dir, all);
    }

    /// <summary>Prints the line that says why the PostgreSQL column is missing, if it is.</summary>
    public void ExplainMissingPostgres()
    {
        if (!HasPostgres)
        {
            Console.WriteLine($"PostgreSQL: not measured (set {PostgresBenchmarks.ConnectionStringVariable} to a server's connection string)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, store) in All)
        {
            await store.DisposeAsync();
        }

        BenchFiles.Delete(_dir);
    }
}
