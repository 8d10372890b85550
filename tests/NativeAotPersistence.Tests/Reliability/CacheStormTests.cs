using System.Diagnostics;
using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// GetOrSet's one factory run per key across real processes, with an external witness: processes of eight tasks each
/// miss one key together (the test host's <c>cache-storm</c>) under <see cref="LockScope.Database"/>, and the factory
/// appends "run &lt;pid&gt;" to an append-only log as it starts and "done &lt;pid&gt;" as it ends.
/// </summary>
/// <remarks>
/// <para>
/// Four processes × eight tasks: the log holds one "run" and one "done", of one process, and every one of the 32
/// callers got that process's value, one of them from its own factory and 31 from the cache. Single flight per process
/// alone would show four runs (a <see cref="LockScope.Process"/> planted in the test host fails every test here).
/// </para>
/// <para>
/// A runner that dies: one process's factory hangs (<c>cache-runner-hang</c>, its lease's TTL ten minutes); once the
/// log shows its "run", three processes × eight tasks miss the same key and wait; the runner is killed (SIGKILL). Its
/// lease's holder is gone and on this host, so one waiter takes it over at once (the TTL would outlast the test) and
/// runs the factory: the log holds the dead runner's "run" and no other before the kill, then one survivor's "run" and
/// "done", and all 24 callers got the survivor's value.
/// </para>
/// <para>
/// Both on a SQLite file and on PostgreSQL (the multi-node case: processes standing in for machines, each with its own
/// connection pool, and nothing but the server between them). The PostgreSQL runner is taken over at once too, because
/// the stand-ins share this host; a runner on another machine would keep the key until its lease's TTL.
/// </para>
/// </remarks>
public sealed class CacheStormTests
{
    private const int Tasks = 8;
    private const int FactoryMs = 300;

    // How long a caller waits for another's factory: far past anything the storm needs, well inside the test's timeout,
    // so that a waiter that never gets in says so ("ERR … TimeoutException") instead of hanging.
    private const int LockTimeoutMs = 60_000;

    // The killed runner's lease TTL: longer than the test may take, so only the takeover of a dead holder lets a waiter in.
    private const int HangingLeaseTtlMs = 600_000;

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task FourProcessesOfEightTasks_MissOneKeyTogether_AndTheFactoryRunsOnce()
    {
        using var dir = new TempDirectory();
        var db = dir.File("cache.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        await StormAsync(dir, db);
    }

    [Fact]
    public async Task FourMachinesOfEightTasks_OnPostgreSql_MissOneKeyTogether_AndTheFactoryRunsOnce()
    {
        using var dir = new TempDirectory();
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        await StormAsync(dir, "pg:" + connectionString);
    }

    [Fact]
    public async Task ARunnerKilledInItsFactory_IsTakenOverAtOnce_AndOneSurvivorRunsTheFactoryForEveryWaiter()
    {
        using var dir = new TempDirectory();
        var db = dir.File("cache.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        await KilledRunnerAsync(dir, db);
    }

    [Fact]
    public async Task ARunnerKilledInItsFactory_OnPostgreSql_IsTakenOverAtOnce_AndOneSurvivorRunsTheFactoryForEveryWaiter()
    {
        using var dir = new TempDirectory();
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        await KilledRunnerAsync(dir, "pg:" + connectionString);
    }

    private static async Task StormAsync(TempDirectory dir, string db)
    {
        var log = dir.File("witness.log");
        var outcomes = await LeaseStormTests.RunAllAsync(
            dir, [.. Enumerable.Range(0, 4).Select(_ => (string[])["cache-storm", db, log, Invariant(Tasks), Invariant(FactoryMs), Invariant(LockTimeoutMs)])]);

        var lines = await File.ReadAllLinesAsync(log, Ct);
        var results = Results(outcomes);
        Report($"witness: {string.Join(" | ", lines.Where(l => !l.StartsWith("start ", StringComparison.Ordinal)))}; sources: {Sources(results)}");

        Assert.Equal(4, lines.Count(l => l.StartsWith("start ", StringComparison.Ordinal)));
        var runner = Assert.Single(Pids(lines, "run"));
        Assert.Equal([runner], Pids(lines, "done"));
        Assert.True(Array.IndexOf(lines, $"run {runner}") < Array.IndexOf(lines, $"done {runner}"), "the factory's \"done\" came before its \"run\"");

        Assert.Equal(4 * Tasks, results.Length);
        Assert.All(results, r => Assert.Equal($"value-from-{runner}", r.Value));
        var factory = Assert.Single(results, r => r.Source == nameof(GetOrSetSource.Factory));
        Assert.Equal(runner, factory.Pid);
        Assert.Equal((4 * Tasks) - 1, results.Count(r => r.Source == nameof(GetOrSetSource.Cache)));
        Assert.Equal($"value-from-{runner}", await StoredAsync(db));
    }

    private static async Task KilledRunnerAsync(TempDirectory dir, string db)
    {
        var log = dir.File("witness.log");
        await File.WriteAllTextAsync(log, "", Ct);

        // The runner: its factory logs "run" and hangs, holding the key's lease.
        var hanging = ChildProcess.RunTestHostAsync(["cache-runner-hang", db, log, Invariant(HangingLeaseTtlMs)], timeout: s_timeout);
        (int ExitCode, string[] Lines, string Error) killed;
        string[] beforeKill;
        (int ExitCode, string[] Lines, string Error)[] outcomes;
        int dead;
        try
        {
            var started = await WaitForLogAsync(log, l => l.Any(x => x.StartsWith("run ", StringComparison.Ordinal)), hanging);
            if (hanging.IsCompleted)
            {
                var ended = await hanging;
                Assert.Fail($"the runner ended before its factory ran (exit {ended.ExitCode}): {string.Join(" | ", ended.Lines)} {ended.Error}");
            }

            dead = Assert.Single(Pids(started, "run"));

            // Three processes miss the same key and wait for the lease; once each has started its calls (and a moment
            // more, so that its tasks are polling), the runner is killed in the middle of its factory.
            var running = LeaseStormTests.RunAllAsync(
                dir, [.. Enumerable.Range(0, 3).Select(_ => (string[])["cache-storm", db, log, Invariant(Tasks), Invariant(FactoryMs), Invariant(LockTimeoutMs)])]);
            await WaitForLogAsync(log, l => l.Count(x => x.StartsWith("start ", StringComparison.Ordinal)) == 3, running);
            await Task.Delay(300, Ct);
            beforeKill = await File.ReadAllLinesAsync(log, Ct);
            Signal("KILL", dead);
            killed = await hanging;
            outcomes = await running;
        }
        finally
        {
            if (!hanging.IsCompleted && (await File.ReadAllLinesAsync(log, CancellationToken.None)).FirstOrDefault(l => l.StartsWith("run ", StringComparison.Ordinal)) is { } run)
            {
                Signal("KILL", int.Parse(run["run ".Length..], CultureInfo.InvariantCulture));
            }
        }

        var lines = await File.ReadAllLinesAsync(log, Ct);
        var results = Results(outcomes);
        Report($"killed {dead} (exit {killed.ExitCode}); witness: {string.Join(" | ", lines.Where(l => !l.StartsWith("start ", StringComparison.Ordinal)))}; sources: {Sources(results)}");

        // While the runner lived, nobody else ran the factory: the waiters waited.
        Assert.Equal([dead], Pids(beforeKill, "run"));
        Assert.Empty(Pids(beforeKill, "done"));
        Assert.NotEqual(0, killed.ExitCode);

        // After the kill, one survivor ran it, and only it finished.
        var runs = Pids(lines, "run");
        Assert.Equal(2, runs.Length);
        Assert.Equal(dead, runs[0]);
        var survivor = runs[1];
        Assert.NotEqual(dead, survivor);
        Assert.Equal([survivor], Pids(lines, "done"));

        Assert.Equal(3 * Tasks, results.Length);
        Assert.Contains(results, r => r.Pid == survivor);
        Assert.All(results, r => Assert.Equal($"value-from-{survivor}", r.Value));
        var factory = Assert.Single(results, r => r.Source == nameof(GetOrSetSource.Factory));
        Assert.Equal(survivor, factory.Pid);
        Assert.Equal((3 * Tasks) - 1, results.Count(r => r.Source == nameof(GetOrSetSource.Cache)));
        Assert.Equal($"value-from-{survivor}", await StoredAsync(db));
    }

    /// <summary>The callers' answers, "OK &lt;pid&gt; &lt;source&gt; &lt;value&gt;" each; any "ERR" line fails the test.</summary>
    private static (int Pid, string Source, string Value)[] Results((int ExitCode, string[] Lines, string Error)[] outcomes)
    {
        var lines = outcomes.SelectMany(o => o.Lines).ToArray();
        var errors = lines.Where(l => !l.StartsWith("OK ", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 0, $"{errors.Length} of {lines.Length} callers failed: {string.Join(" | ", errors.Select(e => e[(e.IndexOf(' ', 4) + 1)..]).Distinct())}");
        return [.. lines.Select(l => l.Split(' ')).Select(p => (int.Parse(p[1], CultureInfo.InvariantCulture), p[2], p[3]))];
    }

    private static string Sources((int Pid, string Source, string Value)[] results) =>
        string.Join(", ", results.GroupBy(r => (r.Source, r.Value)).Select(g => $"{g.Count()} {g.Key.Source} {g.Key.Value}"));

    /// <summary>The processes of the witness log's lines of one kind ("run", "done"), in the log's order.</summary>
    private static int[] Pids(string[] lines, string kind) =>
        [.. lines.Where(l => l.StartsWith(kind + " ", StringComparison.Ordinal)).Select(l => int.Parse(l[(kind.Length + 1)..], CultureInfo.InvariantCulture))];

    /// <summary>Reads the log until <paramref name="until"/> holds, or <paramref name="stopIfDone"/> has ended (the caller's assertions then say what is missing).</summary>
    private static async Task<string[]> WaitForLogAsync(string log, Func<string[], bool> until, Task stopIfDone)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(s_timeout);
        while (true)
        {
            var lines = await File.ReadAllLinesAsync(log, cts.Token);
            if (until(lines) || stopIfDone.IsCompleted)
            {
                return lines;
            }

            await Task.Delay(5, cts.Token);
        }
    }

    /// <summary>The value the store holds for the key now, read by a process of its own.</summary>
    private static async Task<string?> StoredAsync(string db)
    {
        await using IPersistenceAdapter adapter = db.StartsWith("pg:", StringComparison.Ordinal)
            ? await PostgresAdapter.OpenAsync(db["pg:".Length..])
            : await SqliteAdapter.OpenAsync(db);
        return await adapter.Cache.GetAsync<string>("report", Ct);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
