using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// The store-backed fixed window across real processes, with an external witness: four processes of four tasks each
/// share a limit of 100 permits per second for 10 s (the test host's <c>rate-storm</c>: three tasks of each process call
/// <c>AttemptAcquire</c>, one <c>AcquireAsync</c> with a queue) and append a line to an append-only log for every permit
/// granted, with the wall clock read just before the acquisition and just after it returned.
/// </summary>
/// <remarks>
/// <para>
/// Only the log is trusted. The store decides each grant at one instant <c>d</c> of the same clock, so
/// <c>before ≤ d ≤ after</c>. The first decision <c>G</c> starts the key's first window (the first process makes it
/// alone, before the others begin) and the windows follow on a grid of <c>W</c> = 1 s from there. <c>G</c> is itself a
/// grant's decision and no decision comes before it, so <c>G ∈ [min(before), min(after)]</c>. A grant is certainly in
/// window <c>k</c> when every <c>d</c> and <c>G</c> the log allows put it there: <c>before ≥ G_hi + k·W</c> (for window 0
/// nothing: <c>d ≥ G</c>) and <c>after &lt; G_lo + (k + 1)·W</c>. Any other grant is ambiguous and counted in no window.
/// </para>
/// <para>
/// No window may certainly hold more than the limit; the ambiguous grants must stay under a tenth (else that check could
/// pass by counting nothing); and the total must be near the budget: at least 95% of the limit times the windows the
/// storm covered whole, at most the limit times the windows any grant may lie in.
/// </para>
/// </remarks>
public sealed class RateLimitStormTests
{
    private const int Limit = 100; // the test host's RateLimits.PermitLimit
    private const long Window = 1000; // the test host's RateLimits.WindowMs
    private const int Processes = 4;
    private const int TasksPerProcess = 4;
    private const int Seconds = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FourProcessesSharingAFixedWindow_NeverGetMoreThanTheLimitInAWindow_AndGetTheBudget()
    {
        using var dir = new TempDirectory();
        var db = dir.File("rate.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        await StormAsync(dir, db);
    }

    [Fact]
    public async Task FourMachinesSharingAFixedWindow_OnPostgreSql_NeverGetMoreThanTheLimitInAWindow_AndGetTheBudget()
    {
        // Four processes standing in for four machines, each with its own connection pool and nothing but the server
        // between them.
        using var dir = new TempDirectory();
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        await StormAsync(dir, "pg:" + connectionString);
    }

    private static async Task StormAsync(TempDirectory dir, string db)
    {
        var log = dir.File("witness.log");
        var outcomes = await LeaseStormTests.RunAllAsync(dir, [.. Enumerable.Range(0, Processes).Select(i => (string[])[
            "rate-storm", db, "api", log, Seconds.ToString(CultureInfo.InvariantCulture), TasksPerProcess.ToString(CultureInfo.InvariantCulture), i == 0 ? "open" : "join"])]);
        Assert.All(outcomes, o => Assert.True(o.Lines.Length > 0 && o.Lines[^1].StartsWith("OK ", StringComparison.Ordinal), $"a process ended with: {string.Join(" | ", o.Lines)} {o.Error}"));

        var grants = new List<(long Before, long After, string Line)>();
        var deadlines = new List<long>();
        foreach (var line in await File.ReadAllLinesAsync(log, Ct))
        {
            var parts = line.Split(' ');
            if (parts[0] == "begin")
            {
                deadlines.Add(long.Parse(parts[3], CultureInfo.InvariantCulture));
                continue;
            }

            Assert.True(parts[0] == "grant" && parts.Length == 5, $"not a witness line: '{line}'");
            var (before, after) = (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
            Assert.True(before <= after, $"the clock went back during an acquisition: {line}");
            grants.Add((before, after, line));
        }

        // Every grant the processes counted is in the log, and nothing else is.
        var counted = outcomes.Sum(o => int.Parse(o.Lines[^1]["OK ".Length..], CultureInfo.InvariantCulture));
        Assert.Equal(counted, grants.Count);
        Assert.Equal(Processes, deadlines.Count);
        Assert.True(grants.Count >= Limit, $"only {grants.Count} grants: the storm did not run");

        // G, the first decision: no earlier than the earliest call began, no later than the earliest call returned.
        var gLo = grants.Min(g => g.Before);
        var gHi = grants.Min(g => g.After);
        var windows = (int)((grants.Max(g => g.After) - gLo) / Window) + 1;
        var certain = new int[windows];
        var earliest = Enumerable.Repeat(long.MaxValue, windows).ToArray();
        var ambiguous = new List<string>();
        foreach (var (before, after, line) in grants)
        {
            var k = before >= gHi ? (int)((before - gHi) / Window) : 0;
            if (after < gLo + ((k + 1) * Window))
            {
                certain[k]++;
                earliest[k] = Math.Min(earliest[k], after);
            }
            else
            {
                ambiguous.Add(line);
            }
        }

        // The windows the storm covered whole: they end before the first process stopped asking.
        var full = (int)Math.Max(0, (deadlines.Min() - gHi) / Window);
        var perWindow = string.Join(", ", certain.Select((c, k) => earliest[k] == long.MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"{k}: {c}")
            : string.Create(CultureInfo.InvariantCulture, $"{k}: {c} (earliest returned at +{earliest[k] - gLo - (k * Window)} ms)")));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{grants.Count} grants; G in [{gLo}, {gHi}] ({gHi - gLo} ms wide); {ambiguous.Count} ambiguous; {full} whole windows of {windows}; certainly per window: {perWindow}");

        for (var k = 0; k < windows; k++)
        {
            Assert.True(certain[k] <= Limit, $"window {k} (G + {k * Window} ms) certainly granted {certain[k]} permits, over the limit of {Limit}. Per window: {perWindow}");
        }

        Assert.True(ambiguous.Count * 10 < grants.Count, $"{ambiguous.Count} of {grants.Count} grants lie in no certain window: the per-window check says too little. G in [{gLo}, {gHi}]; e.g. {string.Join(" | ", ambiguous.Take(5))}");
        Assert.True(full >= Seconds / 2, $"only {full} whole windows in a {Seconds} s storm: the processes began too far apart for the budget check");
        Assert.True(grants.Count * 100 >= 95 * Limit * full, $"{grants.Count} grants, under 95% of the budget of {full} whole windows ({full * Limit}). Per window: {perWindow}");
        Assert.True(grants.Count <= Limit * windows, $"{grants.Count} grants, over the budget of the {windows} windows they may lie in ({windows * Limit}). Per window: {perWindow}");
    }
}
