using System.Diagnostics;

namespace NativeAotPersistence.Extensions.Tests.Sample;

/// <summary>
/// Runs samples/WorkerService (its JIT build, <c>dotnet workerservice.dll</c>, which this project builds first) twice on
/// one database: the second run must find every batch already processed by ExecuteOnce and skip it.
/// </summary>
public sealed class WorkerServiceSampleTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_second_run_skips_every_batch_the_first_one_processed()
    {
        string[] args = ["--db", _temp.File("worker.db"), "--iterations", "8", "--Worker:Interval", "00:00:00.010"];

        var (exit, output) = await RunAsync(args);
        Assert.True(exit == 0, $"exit {exit}\n{output}");
        Assert.Contains("Finished after 8 batches: 8 processed, 0 skipped as already processed", output, StringComparison.Ordinal);

        (exit, output) = await RunAsync(args);
        Assert.True(exit == 0, $"exit {exit}\n{output}");
        Assert.Contains("Finished after 8 batches: 0 processed, 8 skipped as already processed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rates_API_quota_is_a_token_bucket_per_currency_in_the_store()
    {
        // A tight quota and a cache that never hits: every lookup takes a permit from its currency's bucket.
        var db = _temp.File("quota.db");
        string[] args =
        [
            "--db", db, "--iterations", "3", "--Worker:Interval", "00:00:00.010", "--Worker:FailureRate", "0",
            "--Worker:RateCacheSlidingExpiration", "00:00:00.001", "--Worker:RatesApiCallsPerSecond", "50",
        ];
        var (exit, output) = await RunAsync(args);
        Assert.True(exit == 0, $"exit {exit}\n{output}");

        // The buckets are rows of the store under the worker's prefix, one per currency the feed used, so another worker
        // on the file spends the same budgets.
        await using var store = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { KeyPrefix = "worker:" });
        var limits = (await store.Admin.GetStatsAsync(TestContext.Current.CancellationToken)).RateLimits;
        Assert.True(limits.Live + limits.Expired >= 2, $"rate-limit rows: {limits}\n{output}");
        Assert.True(await store.RateLimits.ResetAsync("rates-api:EUR", TestContext.Current.CancellationToken), output);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindDll());
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindDll()
    {
        // tests/NativeAotPersistence.Extensions.Tests/bin/<Configuration>/net10.0/ → samples/WorkerService/bin/<Configuration>/net10.0/
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = baseDirectory.Name;
        var configuration = baseDirectory.Parent!.Name;
        for (var dir = baseDirectory; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "WorkerService", "bin", configuration, framework, "workerservice.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"samples/WorkerService/bin/{configuration}/{framework}/workerservice.dll was not built");
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
