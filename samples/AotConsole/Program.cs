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

var app = ConsoleApp.Create();
app.Add("", Commands.RunAsync);
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
    /// <param name="db">The database file (created when missing); the upstream's file sits next to it (*.upstream.db).</param>
    /// <param name="records">-n, How many sensor readings the job uploads.</param>
    /// <param name="batch">-b, Readings per batch (one delivery and one checkpoint each).</param>
    /// <param name="failRate">Probability that the simulated upstream rejects a delivery (0 to 0.95).</param>
    /// <param name="seed">Seed of the deterministic readings.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
    public static Task<int> RunAsync(
        string db = "aotconsole.db",
        int records = 200_000,
        int batch = 1_000,
        double failRate = 0.2,
        long seed = 42,
        CancellationToken cancellationToken = default) =>
        Cli.GuardAsync(() =>
        {
            if (records < 1)
            {
                return Usage("--records must be at least 1");
            }

            if (batch < 1)
            {
                return Usage("--batch must be at least 1");
            }

            if (!(failRate >= 0 && failRate <= 0.95))
            {
                return Usage("--fail-rate must be between 0 and 0.95");
            }

            if (Directory.Exists(db))
            {
                return Usage($"'{db}' is a directory, not a database file");
            }

            return UploadJob.RunAsync(new RunSettings(db, records, batch, failRate, seed), cancellationToken);
        });

    /// <summary>
    /// Shows what the database holds, through the library's inspection API: schema and page stats, row counts (live and
    /// expired), cache keys, circuits, checkpointed tasks with progress and ETA, held locks, idempotency records.
    /// </summary>
    /// <param name="db">The database file (must exist; inspect never creates or changes the schema).</param>
    /// <param name="prefix">The key prefix to look at.</param>
    /// <param name="keys">List only the cache and idempotency keys matching this pattern (* any run, ? one character), all of them.</param>
    /// <param name="json">Write JSON for machines instead of tables.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
    public static Task<int> InspectAsync(
        string db = "aotconsole.db",
        string prefix = Cli.KeyPrefix,
        string? keys = null,
        bool json = false,
        CancellationToken cancellationToken = default) =>
        Cli.GuardAsync(async () =>
        {
            if (!Cli.RequireExisting(db))
            {
                return ExitCodes.Error;
            }

            await using var store = await SqliteAdapter.OpenAsync(db, Cli.StoreOptions(LockScope.Database, prefix, createTables: false), cancellationToken);
            var report = await Inspector.ReadAsync(store, keys, cancellationToken);
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
        });

    /// <summary>Reclaims expired rows (cache entries, idempotency records, lock rows) and says how many.</summary>
    /// <param name="db">The database file (must exist).</param>
    /// <param name="prefix">The key prefix whose rows are pruned.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
    public static Task<int> PruneAsync(string db = "aotconsole.db", string prefix = Cli.KeyPrefix, CancellationToken cancellationToken = default) =>
        Cli.GuardAsync(async () =>
        {
            if (!Cli.RequireExisting(db))
            {
                return ExitCodes.Error;
            }

            await using var store = await SqliteAdapter.OpenAsync(db, Cli.StoreOptions(LockScope.Database, prefix, createTables: false), cancellationToken);
            var pruned = await store.PruneAsync(cancellationToken);
            Console.Out.WriteLine(
                $"pruned {pruned.Total:N0} expired rows from {store.DataSource}: {pruned.Cache:N0} cache, {pruned.Idempotency:N0} idempotency, {pruned.Locks:N0} locks");
            return ExitCodes.Ok;
        });

    private static Task<int> Usage(string message)
    {
        Cli.Error(message);
        return Task.FromResult(ExitCodes.Usage);
    }
}
