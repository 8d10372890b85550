using System.Text.Json;
using NativeAotPersistence.Tests.PostgreSql;
using Npgsql;

namespace NativeAotPersistence.Tests.Sample;

/// <summary>
/// <c>aotconsole --postgres</c>: the same job, lock, breaker, checkpoints and idempotency as on the SQLite file, against
/// the throwaway test server (a schema per test), and two runs started at once coordinating through it.
/// </summary>
[Collection("Sample")]
public sealed class SamplePostgresTests : IDisposable
{
    private static readonly string[] s_job = ["--records", "4000", "--batch", "100", "--fail-rate", "0.2", "--seed", "7"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_ThenInspectAndPrune_OnPostgres_SameJobAsOnTheFile()
    {
        var server = await PostgresServer.CreateSchemaAsync();

        using var run = await AotConsoleProcess.RunAsync(["run", "--postgres", server, .. s_job]);
        Assert.True(run.ExitCode == 0, SampleRunTests.Describe(run));
        Assert.Empty(run.Errors);
        Assert.Contains("  batches delivered             40 (upstream holds 40, 4,000 records)", run.Output);

        // The same job on the SQLite file computes the same aggregate: one job, two backends.
        using var onFile = await AotConsoleProcess.RunAsync(["run", "--db", _dir.File("same.db"), .. s_job]);
        Assert.True(onFile.ExitCode == 0, SampleRunTests.Describe(onFile));
        Assert.Equal(Line(onFile.Output, "  aggregate"), Line(run.Output, "  aggregate"));

        // The upstream applied each batch once, in its own tables on the same server.
        var jobs = await UpstreamJobsAsync(server);
        var job = Assert.Single(jobs);
        Assert.Equal((40L, 4_000L, 0L), (job.Batches, job.Records, job.IgnoredRepeats));

        using (var inspect = await AotConsoleProcess.RunAsync("inspect", "--postgres", server, "--json"))
        {
            Assert.True(inspect.ExitCode == 0, SampleRunTests.Describe(inspect));
            using var json = JsonDocument.Parse(string.Join('\n', inspect.Output));
            var root = json.RootElement;
            Assert.StartsWith("127.0.0.1:", root.GetProperty("dataSource").GetString(), StringComparison.Ordinal);
            Assert.Equal(SchemaRules.CurrentVersion, root.GetProperty("schemaVersion").GetInt32());
            Assert.True(root.GetProperty("sizeOnDisk").GetInt64() > 0);
            // A receipt per batch, and the job's own record (the same job again has nothing to do).
            Assert.Equal(41, root.GetProperty("counts").GetProperty("idempotency").GetProperty("live").GetInt32());
            var circuit = Assert.Single(root.GetProperty("circuits").EnumerateArray());
            Assert.Equal("upstream", circuit.GetProperty("key").GetString());

            // Done: the checkpoints were deleted and the job lock released.
            Assert.Empty(root.GetProperty("tasks").EnumerateArray());
            Assert.Empty(root.GetProperty("locks").EnumerateArray());
            Assert.Contains(root.GetProperty("cacheKeys").EnumerateArray(), k => k.GetString()!.StartsWith("calibration:dev-", StringComparison.Ordinal));
        }

        using (var text = await AotConsoleProcess.RunAsync("inspect", "--postgres", server))
        {
            Assert.True(text.ExitCode == 0, SampleRunTests.Describe(text));
            Assert.Contains(text.Output, l => l.StartsWith("size ", StringComparison.Ordinal) && l.EndsWith(" in its tables and indexes", StringComparison.Ordinal));
            Assert.Contains("idempotency records (41)", text.Output);
        }

        using (var prune = await AotConsoleProcess.RunAsync("prune", "--postgres", server))
        {
            Assert.True(prune.ExitCode == 0, SampleRunTests.Describe(prune));
            Assert.StartsWith("pruned ", Assert.Single(prune.Output), StringComparison.Ordinal);
        }

        // --compact: a plain VACUUM of the tables, with their size before and after.
        using var compact = await AotConsoleProcess.RunAsync("prune", "--postgres", server, "--compact");
        Assert.True(compact.ExitCode == 0, SampleRunTests.Describe(compact));
        Assert.Equal(2, compact.Output.Count);
        Assert.Matches("^[0-9,]+ bytes compacted to [0-9,]+$", compact.Output[1]);
    }

    [Fact]
    public async Task TwoRunsAtOnce_OnOneServer_OneHoldsTheJobLock_TheOtherExitsWithCode3()
    {
        var server = await PostgresServer.CreateSchemaAsync();

        // Two "machines": two processes that share nothing but the server.
        using var a = AotConsoleProcess.Start(["run", "--postgres", server, .. s_job]);
        using var b = AotConsoleProcess.Start(["run", "--postgres", server, .. s_job]);
        var (first, second) = (a.WaitForExitAsync(), b.WaitForExitAsync());
        var loser = await Task.WhenAny(first, second) == first ? a : b;
        var winner = loser == a ? b : a;

        Assert.True(loser.ExitCode == 3, SampleRunTests.Describe(loser));
        var error = Assert.Single(loser.Errors);
        Assert.StartsWith("aotconsole: another run holds the job lock on 127.0.0.1:", error, StringComparison.Ordinal);
        Assert.Contains($"owner {Environment.MachineName}:{winner.Id}:", error, StringComparison.Ordinal);

        // The holder finishes the job alone: every batch applied once upstream.
        Assert.True(await winner.WaitForExitAsync() == 0, SampleRunTests.Describe(winner));
        var job = Assert.Single(await UpstreamJobsAsync(server));
        Assert.Equal((40L, 4_000L, 0L), (job.Batches, job.Records, job.IgnoredRepeats));
    }

    [Fact]
    public async Task KilledRun_OnPostgres_IsTakenOverAndResumed_EveryBatchAppliedOnce()
    {
        var server = await PostgresServer.CreateSchemaAsync();
        using (var run = AotConsoleProcess.Start(["run", "--postgres", server, .. s_job]))
        {
            await run.WaitForLineAsync(line => SampleRunTests.Percent(line) >= 30);
            await run.KillAsync();
        }

        using var resumed = await AotConsoleProcess.RunAsync(["run", "--postgres", server, .. s_job]);
        Assert.True(resumed.ExitCode == 0, SampleRunTests.Describe(resumed));
        Assert.Contains(resumed.Output, l => l.StartsWith("took over the job lock from", StringComparison.Ordinal));
        Assert.Contains(resumed.Output, l => l.StartsWith("resuming job", StringComparison.Ordinal));
        var job = Assert.Single(await UpstreamJobsAsync(server));
        Assert.Equal((40L, 4_000L), (job.Batches, job.Records));
        Assert.InRange(job.IgnoredRepeats, 0, 1);
    }

    [Fact]
    public async Task InspectOfADatabaseWithoutTheTables_IsOneLineAndExit1_CreatingNothing()
    {
        var server = await PostgresServer.CreateSchemaAsync();
        using var inspect = await AotConsoleProcess.RunAsync("inspect", "--postgres", server);
        Assert.Equal(1, inspect.ExitCode);
        var error = Assert.Single(inspect.Errors);
        Assert.StartsWith("aotconsole: The PostgreSQL database ", error, StringComparison.Ordinal);
        Assert.Contains("CreateTables is false", error, StringComparison.Ordinal);

        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", connection);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
    }

    [Theory]
    [InlineData("run", "--db", "x.db", "--postgres", "Host=127.0.0.1")]
    [InlineData("inspect", "--db", "x.db", "--postgres", "Host=127.0.0.1")]
    [InlineData("prune", "--postgres", " ")]
    public async Task ConflictingOrEmptyStoreOptions_AreUsageErrors(params string[] args)
    {
        using var run = await AotConsoleProcess.RunAsync(args);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("aotconsole: --", Assert.Single(run.Errors), StringComparison.Ordinal);
    }

    private static string Line(IReadOnlyList<string> output, string prefix) =>
        Assert.Single(output, l => l.StartsWith(prefix, StringComparison.Ordinal));

    private static async Task<List<UpstreamJob>> UpstreamJobsAsync(string server)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT job, batches, records, sum_milli, ignored_repeats FROM aotconsole_upstream_jobs ORDER BY job", connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var jobs = new List<UpstreamJob>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            jobs.Add(new UpstreamJob(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4)));
        }

        return jobs;
    }
}
