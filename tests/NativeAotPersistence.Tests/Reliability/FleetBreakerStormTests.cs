using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// The fleet circuit breaker across real processes, with an external witness: four processes of eight tasks each call
/// one breaker in a loop (the test host's <c>breaker-storm</c>) against a fake dependency that takes 30-50 ms and fails
/// from a time F until a time R the same for every process, then recovers; every dependency call and every transition a
/// process caused is appended to an append-only log.
/// </summary>
/// <remarks>
/// <para>
/// Only the log is trusted. A call's line holds the wall clock read before <c>ExecuteAsync</c> was called (start), as the
/// dependency was entered (enter) and as it left (leave, which decides its outcome: it fails when leave is in
/// [F, R)). A transition's line is written after the store made it. Let O be the earliest transition to Open in the log.
/// </para>
/// <para>
/// No success is decided before R, so the breaker cannot close between its opening and R (the test checks that no
/// transition to Closed is logged there): every call that started after O (so was admitted after the opening was
/// stored) and left before R was admitted while the breaker was open or half-open, that is as a half-open trial, holding
/// one of the store's <c>HalfOpenMaxTrials</c> = 2 permits from before it entered until after it left (a failed trial
/// re-opens the breaker for 200 ms, far longer than a call). So at no instant may more than 2 of them be inside the
/// dependency, counting by their [enter, leave) intervals; and there must be several of them, else that says nothing.
/// Before O the breaker was closed and the dependency must have seen more than 2 calls at once, which shows the limit
/// is the fleet's: per process, four processes would run up to 8 trials at once. After R the breaker must close, and a
/// success must be logged.
/// </para>
/// </remarks>
public sealed class FleetBreakerStormTests
{
    private const int Processes = 4;
    private const int TasksPerProcess = 8;
    private const int MaxTrials = 2; // the test host's Breakers.HalfOpenMaxTrials
    private const long SamplingDurationMs = 2000; // the test host's Breakers.SamplingDurationMs
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FourProcessesOfEightTasks_RunAtMostTwoHalfOpenTrialsAtOnceFleetWide_AndCloseAfterTheRecovery()
    {
        using var dir = new TempDirectory();
        var db = dir.File("breaker.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        await StormAsync(dir, db, "consecutive", failFromMs: 0, recoverAtMs: 3000, endMs: 6000);
    }

    [Fact]
    public async Task FourMachinesOfEightTasks_OnPostgreSql_RunAtMostTwoHalfOpenTrialsAtOnceFleetWide_AndCloseAfterTheRecovery()
    {
        // The multi-node case: four processes standing in for four machines, each with its own connection pool, and
        // nothing but the server between them.
        using var dir = new TempDirectory();
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        await StormAsync(dir, "pg:" + connectionString, "consecutive", failFromMs: 0, recoverAtMs: 3000, endMs: 6000);
    }

    [Fact]
    public async Task FourProcessesInTheRatioMode_OpenWithinOneSamplingDurationOfTheFailures_AndRunAtMostTwoTrialsAtOnce()
    {
        // FailureRatio 0.5 of at least 20 calls in a 2 s window: healthy for 1 s (the window fills with successes), then
        // failing; the window is the fleet's, so the breaker opens within one window of the first failure.
        using var dir = new TempDirectory();
        var db = dir.File("ratio.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        var (failFrom, open) = await StormAsync(dir, db, "ratio", failFromMs: 1000, recoverAtMs: 4000, endMs: 7000);
        Assert.True(open >= failFrom && open - failFrom <= SamplingDurationMs, $"the breaker opened {open - failFrom} ms after the dependency began failing, not within the {SamplingDurationMs} ms window");
    }

    [Fact]
    public async Task FourMachinesInTheRatioMode_OnPostgreSql_OpenWithinOneSamplingDurationOfTheFailures_AndRunAtMostTwoTrialsAtOnce()
    {
        using var dir = new TempDirectory();
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        var (failFrom, open) = await StormAsync(dir, "pg:" + connectionString, "ratio", failFromMs: 1000, recoverAtMs: 4000, endMs: 7000);
        Assert.True(open >= failFrom && open - failFrom <= SamplingDurationMs, $"the breaker opened {open - failFrom} ms after the dependency began failing, not within the {SamplingDurationMs} ms window");
    }

    /// <summary>Runs the storm and checks the log; returns F and O (Unix ms) for the mode's own checks.</summary>
    private static async Task<(long FailFrom, long Open)> StormAsync(TempDirectory dir, string db, string mode, int failFromMs, int recoverAtMs, int endMs)
    {
        var log = dir.File("witness.log");
        var outcomes = await RunAllAsync(dir, [.. Enumerable.Range(0, Processes).Select(_ => (string[])[
            "breaker-storm", db, log, mode, Invariant(TasksPerProcess), Invariant(failFromMs), Invariant(recoverAtMs), Invariant(endMs)])]);
        Assert.All(outcomes, o => Assert.True(o.Lines.Length > 0 && o.Lines[^1].StartsWith("OK ", StringComparison.Ordinal), $"a process ended with: {string.Join(" | ", o.Lines)} {o.Error}"));

        var calls = new List<Call>();
        var transitions = new List<(long At, string From, string To, string Line)>();
        var schedules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync(log, Ct))
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "begin" when parts.Length == 6:
                    schedules.Add(string.Join(' ', parts[2..]));
                    break;
                case "call" when parts.Length == 7:
                    var call = new Call(Long(parts[1]), Long(parts[2]), Long(parts[3]), parts[6] == "ok", line);
                    Assert.True(call.Start <= call.Enter && call.Enter <= call.Leave, $"the clock went back during a call: {line}");
                    calls.Add(call);
                    break;
                case "state" when parts.Length == 5:
                    transitions.Add((Long(parts[1]), parts[3], parts[4], line));
                    break;
                default:
                    Assert.Fail($"not a witness line: '{line}'");
                    break;
            }
        }

        // One schedule for every process: T0, F, R and the end.
        var schedule = Assert.Single(schedules).Split(' ').Select(Long).ToArray();
        var (failFrom, recoverAt) = (schedule[1], schedule[2]);
        var counted = outcomes.Sum(o => int.Parse(o.Lines[^1].Split(' ')[1], CultureInfo.InvariantCulture));
        var rejections = outcomes.Sum(o => int.Parse(o.Lines[^1].Split(' ')[2], CultureInfo.InvariantCulture));
        Assert.Equal(counted, calls.Count);

        // O: the first opening any process logged (after the store made it).
        var openings = transitions.Where(t => t.To == "Open").ToList();
        Assert.True(openings.Count > 0, $"the breaker never opened: {calls.Count} calls, {calls.Count(c => !c.Ok)} failed");
        var open = openings.Min(t => t.At);

        // The half-open trials: started after O, left before R. Nothing closed the breaker in between.
        var trials = calls.Where(c => c.Start > open && c.Leave < recoverAt).ToList();
        var early = transitions.Where(t => t.To == "Closed" && t.At > open && t.At < recoverAt).Select(t => t.Line).ToList();
        Assert.True(early.Count == 0, $"the breaker closed before the dependency recovered: {string.Join(" | ", early)}");
        Assert.All(trials, t => Assert.False(t.Ok, $"a call succeeded before R: {t.Line}"));
        var (mostTrials, trialsAt) = MostAtOnce(trials);
        var closedPhase = calls.Where(c => c.Enter < open).Select(c => c with { Leave = Math.Min(c.Leave, open) }).ToList();
        var (mostClosed, _) = MostAtOnce(closedPhase);
        var stragglers = calls.Count(c => c.Start <= open && c.Enter > open);

        // After R: a success, a closing, and the breaker stays closed (the dependency is healthy).
        var closings = transitions.Where(t => t.To == "Closed" && t.At >= recoverAt).OrderBy(t => t.At).ToList();
        var closed = closings.Count > 0 ? closings[0].At : long.MaxValue;
        var successes = calls.Count(c => c.Ok && c.Leave >= recoverAt);
        var reopened = transitions.Where(t => t.To == "Open" && t.At > closed).Select(t => t.Line).ToList();
        var (mostAfter, _) = MostAtOnce([.. calls.Where(c => c.Start > closed)]);

        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{(db.StartsWith("pg:", StringComparison.Ordinal) ? "postgresql" : "sqlite")} {mode}: {calls.Count} calls, {rejections} rejections, {transitions.Count} transitions ({openings.Count} to Open); opened at F+{open - failFrom} ms; "
            + $"{trials.Count} trials before R, at most {mostTrials} at once{(trialsAt is null ? "" : " (e.g. at " + trialsAt + ")")}; "
            + $"at most {mostClosed} calls at once before O; {stragglers} calls admitted before O that entered after it; "
            + $"closed at R+{(closed == long.MaxValue ? -1 : closed - recoverAt)} ms; {successes} successes after R, at most {mostAfter} at once after the closing");
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("NAP_BREAKER_STORM_REPORT") is { Length: > 0 } report)
        {
            await File.AppendAllTextAsync(report, summary + "\n", Ct);
        }

        Assert.True(mostTrials <= MaxTrials, $"{mostTrials} half-open trials in the dependency at once (at {trialsAt}), over the fleet's {MaxTrials}. {summary}");
        Assert.True(trials.Count >= 5, $"only {trials.Count} half-open trials before R: the check says too little. {summary}");
        Assert.True(mostClosed > MaxTrials, $"the dependency saw at most {mostClosed} calls at once while the breaker was closed: the limit on trials says nothing. {summary}");
        Assert.True(closed != long.MaxValue, $"the breaker did not close after the dependency recovered. {summary}");
        Assert.True(successes > 0, $"no call succeeded after the recovery. {summary}");
        Assert.True(reopened.Count == 0, $"the breaker opened again after it closed, with the dependency healthy: {string.Join(" | ", reopened)}");
        return (failFrom, open);
    }

    /// <summary>The most intervals [enter, leave) that hold one instant, and the first such instant.</summary>
    private static (int Most, long? At) MostAtOnce(List<Call> calls)
    {
        // At one instant a leave comes before an enter: the half-open intervals [enter, leave) do not overlap there.
        var events = calls.SelectMany(c => new[] { (At: c.Enter, Delta: 1), (At: c.Leave, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int inside = 0, most = 0;
        long? at = null;
        foreach (var (time, delta) in events)
        {
            inside += delta;
            if (inside > most)
            {
                (most, at) = (inside, time);
            }
        }

        return (most, at);
    }

    /// <summary>
    /// Starts every process, waits until each has warmed up and said it is ready in the barrier directory, then releases
    /// them with the instant T0 (Unix ms) in the "go" file, written whole (a rename) so that nobody reads half of it.
    /// </summary>
    private static async Task<(int ExitCode, string[] Lines, string Error)[]> RunAllAsync(TempDirectory dir, string[][] commands)
    {
        var barrier = Directory.CreateDirectory(dir.File("barrier")).FullName;
        var running = commands.Select(c => ChildProcess.RunTestHostAsync([.. c, barrier], timeout: s_timeout)).ToArray();
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            cts.CancelAfter(s_timeout);
            while (Directory.GetFiles(barrier, "ready-*").Length < commands.Length && !running.Any(r => r.IsCompleted))
            {
                await Task.Delay(10, cts.Token);
            }
        }

        var go = Path.Combine(barrier, "go");
        await File.WriteAllTextAsync(go + ".tmp", Invariant(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), Ct);
        File.Move(go + ".tmp", go);
        var outcomes = await Task.WhenAll(running);
        Assert.All(outcomes, o => Assert.True(o.ExitCode == 0, o.Error));
        return outcomes;
    }

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Call(long Start, long Enter, long Leave, bool Ok, string Line);
}
