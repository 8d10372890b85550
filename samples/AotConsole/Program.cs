using AotConsole;
using ConsoleAppFramework;
using NativeAotPersistence;

// ConsoleAppFramework reports argument errors through LogError (to stdout by default): one line on stderr instead,
// and exit code 2 for a usage error as command-line tools do.
var usageError = false;
ConsoleApp.LogError = message =>
{
    usageError = true;
    Cli.Error(message.ReplaceLineEndings(" "));
};

// The help text is generated as constants; name the program in it, and say what a default really is.
var log = ConsoleApp.Log;
ConsoleApp.Log = message => log(Cli.PolishHelp(message));

// `aotconsole` alone, or followed by options only, runs the job: that is what the README's `dotnet run` does. (One
// command instead of a root command plus `run` keeps one generated parser, not two.)
if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "--version")))
{
    args = ["run", .. args];
}

var app = ConsoleApp.Create();
app.Add("run", Commands.RunAsync);
app.Add("inspect", Commands.InspectAsync);
app.Add("prune", Commands.PruneAsync);
await app.RunAsync(args);
if (usageError)
{
    Environment.ExitCode = ExitCodes.Usage;
}

/// <summary>The commands of <c>aotconsole</c>.</summary>
internal static class Commands
{
    /// <summary>
    /// Runs (or resumes) the telemetry upload job: calibrates readings through the cache, delivers batches once to a
    /// flaky upstream through the circuit breaker, checkpoints every batch. Exit codes: 0 done, 1 error, 2 bad arguments,
    /// 3 another run holds the job lock, 4 the job lock was lost, 130 interrupted (resume by running again).
    /// </summary>
    /// <param name="db">The database file (created when missing; default ./aotconsole.db); the upstream's file sits next to it (*.upstream.db).</param>
    /// <param name="postgres">A PostgreSQL connection string ("Host=…;Username=…;Database=…") instead of the file: every machine running against it shares one job lock, breaker, checkpoint and upstream.</param>
    /// <param name="records">-n, How many sensor readings the job uploads.</param>
    /// <param name="batch">-b, Readings per batch (one delivery and one checkpoint each).</param>
    /// <param name="failRate">Probability that the simulated upstream rejects a delivery (0 to 0.95).</param>
    /// <param name="seed">Seed of the deterministic readings.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
    public static async Task<int> RunAsync(
        string? db = null,
        string? postgres = null,
        int records = RunSettings.DefaultRecords,
        int batch = RunSettings.DefaultBatch,
        double failRate = 0.2,
        long seed = RunSettings.DefaultSeed,
        CancellationToken cancellationToken = default)
    {
        var (location, problem) = StoreLocation.From(db, postgres);
        problem =
            records < 1 ? "--records must be at least 1"
            : batch < 1 ? "--batch must be at least 1"
            : !(failRate >= 0 && failRate <= 0.95) ? "--fail-rate must be between 0 and 0.95"
            : location is { Postgres: null } && Directory.Exists(location.File) ? $"'{location.File}' is a directory, not a database file"
            : problem;
        if (location is null || problem is not null)
        {
            Cli.Error(problem!);
            return ExitCodes.Usage;
        }

        try
        {
            return await UploadJob.RunAsync(new RunSettings(location, records, batch, failRate, seed), cancellationToken);
        }
        catch (Exception e) when (Cli.Expected(e))
        {
            return Cli.Report(e);
        }
    }

    /// <summary>
    /// Shows what the database holds, through the library's inspection API: schema and page stats, row counts (live and
    /// expired), cache keys, circuits, checkpointed tasks with progress and ETA, held locks, idempotency records.
    /// </summary>
    /// <param name="db">The database file (must exist; default ./aotconsole.db; opened read-only, so inspect changes nothing, except that an empty 0-byte file gets the empty schema).</param>
    /// <param name="postgres">A PostgreSQL connection string instead of the file (the database must hold the tables: inspect creates nothing).</param>
    /// <param name="prefix">The key prefix to look at.</param>
    /// <param name="keys">List only the cache and idempotency keys matching this pattern (* any run, ? one character), all of them.</param>
    /// <param name="json">Write JSON for machines instead of tables.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
    public static Task<int> InspectAsync(
        string? db = null,
        string? postgres = null,
        string prefix = Cli.KeyPrefix,
        string? keys = null,
        bool json = false,
        CancellationToken cancellationToken = default) =>
        WithExistingStoreAsync(db, postgres, prefix, readOnly: true, async store =>
        {
            var report = await Inspector.ReadAsync(store, prefix, keys, cancellationToken);
            if (json)
            {
                await using var stdout = Console.OpenStandardOutput();
                Inspector.WriteJson(report, stdout);
            }
            else
            {
                Inspector.WriteText(report, Console.Out);
            }

            return ExitCodes.Ok;
        }, cancellationToken);

    /// <summary>Reclaims expired rows (cache entries, idempotency records, lock rows) and says how many.</summary>
    /// <param name="db">The database file (must exist; default ./aotconsole.db).</param>
    /// <param name="postgres">A PostgreSQL connection string instead of the file (the database must hold the tables).</param>
    /// <param name="prefix">The key prefix whose rows are pruned.</param>
    /// <param name="compact">Then compact the whole store (VACUUM) and print its size before and after.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
    public static Task<int> PruneAsync(string? db = null, string? postgres = null, string prefix = Cli.KeyPrefix, bool compact = false, CancellationToken cancellationToken = default) =>
        WithExistingStoreAsync(db, postgres, prefix, readOnly: false, async store =>
        {
            var pruned = await store.Adapter.PruneAsync(cancellationToken);
            Console.Out.WriteLine(
                $"pruned {pruned.Total:N0} expired rows from {store.DataSource}: {pruned.Cache:N0} cache, {pruned.Idempotency:N0} idempotency, {pruned.Locks:N0} locks");
            if (compact)
            {
                var c = await store.Admin.CompactAsync(cancellationToken);
                Console.Out.WriteLine(
                    c.SizeBefore.ToString("N0") + " bytes compacted to " + c.SizeAfter.ToString("N0")
                    + (c.IsComplete ? "" : " (a reader held an old snapshot: compact again later)"));
            }

            return ExitCodes.Ok;
        }, cancellationToken);

    /// <summary>
    /// Resolves <c>--db</c> / <c>--postgres</c>, opens the store that must already exist and runs
    /// <paramref name="command"/> on it: a bad location is a usage error, a store that cannot be opened (reported by
    /// <see cref="Store.OpenAsync"/>) an error, and expected failures are reported as one line with their exit code.
    /// </summary>
    private static async Task<int> WithExistingStoreAsync(
        string? db, string? postgres, string prefix, bool readOnly, Func<Store, Task<int>> command, CancellationToken cancellationToken)
    {
        try
        {
            var (location, problem) = StoreLocation.From(db, postgres);
            if (location is null)
            {
                Cli.Error(problem!);
                return ExitCodes.Usage;
            }

            await using var store = await Store.OpenAsync(location, LockScope.Database, prefix, existing: true, cancellationToken, readOnly);
            if (store is null)
            {
                return ExitCodes.Error;
            }

            return await command(store);
        }
        catch (Exception e) when (Cli.Expected(e))
        {
            return Cli.Report(e);
        }
    }
}
