using System.Diagnostics;
using System.Globalization;
using NativeAotPersistence.Tests.Sqlite;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Issue 9, test 1: a child process writes in a loop and acknowledges each write on stdout only after the call returned;
/// the parent kills it with SIGKILL at a random moment, again and again on one file, and after every kill checks that the
/// file is consistent and that every acknowledged write is there.
/// </summary>
public class CrashConsistencyTests
{
    private const int Kills = 100;

    // The whole test stays near two minutes even on a loaded machine; the figure reported is the number actually done.
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(110);
    private static readonly TimeSpan s_hostTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SigkillAtRandomMoments_100TimesOnOneFile_LosesNoAcknowledgedWrite_AndNeverCorrupts()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGKILL semantics.");
        using var dir = new TempDirectory();
        var db = dir.File("crash.db");
        var random = new Random(20261125);
        var clock = Stopwatch.StartNew();
        var totals = new Totals();

        // The next writer is started while the current one runs (it waits for "go" before touching the file), so process
        // start-up does not count against the budget.
        var next = HostProcess.Start("crash-writer", db, "0");
        try
        {
            for (var round = 0; round < Kills && clock.Elapsed < s_budget; round++)
            {
                using var writer = next;
                next = HostProcess.Start("crash-writer", db, (round + 1).ToString(CultureInfo.InvariantCulture));
                await writer.SendAsync("go");

                // One kill in ten lands anywhere from start-up on (during open, schema creation or WAL recovery);
                // the rest land 20-200 ms into the write loop.
                if (random.Next(10) == 0)
                {
                    await Task.Delay(random.Next(0, 150), TestContext.Current.CancellationToken);
                    totals.EarlyKills++;
                }
                else
                {
                    await writer.WaitForLineAsync("READY", s_hostTimeout);
                    await Task.Delay(random.Next(20, 201), TestContext.Current.CancellationToken);
                }

                writer.Kill();
                await writer.WaitForExitAsync(s_hostTimeout);
                var acknowledged = writer.DrainAvailable().Where(l => l.StartsWith("A ", StringComparison.Ordinal)).ToList();
                totals.Kills++;
                await VerifyAsync(db, acknowledged, totals);
            }
        }
        finally
        {
            next.Dispose();
        }

        var report =
            $"{totals.Kills} SIGKILLs ({totals.EarlyKills} during start-up) in {clock.Elapsed.TotalSeconds:0} s; " +
            $"{totals.Acknowledged} acknowledged writes, {totals.Lost} lost, {totals.Corrupt} corrupt checks; " +
            $"unacknowledged failures found committed: {totals.UnacknowledgedFailures}.";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.Equal(0, totals.Lost);
        Assert.Equal(0, totals.Corrupt);
        Assert.True(totals.Kills >= 30, "Too few kills fitted in the budget to mean anything: " + report);
    }

    private static async Task VerifyAsync(string db, List<string> acknowledged, Totals totals)
    {
        if (!File.Exists(db))
        {
            // Killed before the first open created the file: nothing can have been acknowledged.
            Assert.Empty(acknowledged);
            return;
        }

        // A fresh connection replays the WAL the killed process left behind, then checks every page.
        using (var raw = new RawSqlite(db))
        {
            var integrity = raw.Scalar("PRAGMA integrity_check");
            if (integrity != "ok")
            {
                totals.Corrupt++;
                TestContext.Current.TestOutputHelper?.WriteLine($"integrity_check after kill {totals.Kills}: {integrity}");
            }
        }

        await using var adapter = await SqliteAdapter.OpenAsync(db);
        var maxAcknowledgedFailures = totals.FailuresBefore;
        var failureAcks = 0;
        foreach (var line in acknowledged)
        {
            var parts = line.Split(' ');
            var (kind, key, value) = (parts[1], parts[2], int.Parse(parts[3], CultureInfo.InvariantCulture));
            totals.Acknowledged++;
            var present = kind switch
            {
                "cache" => await adapter.Cache.TryGetAsync<int>(key) is { Found: true } hit && hit.Value == value,
                "checkpoint" => (await adapter.Checkpoints.LoadAsync<int>(key))?.Data == value,
                "idempotency" => (await adapter.Idempotency.GetAsync<int>(key))?.Value == value,
                "failure" => true, // checked below against the stored count
                _ => throw new InvalidOperationException("Unknown acknowledgement: " + line),
            };
            if (kind == "failure")
            {
                failureAcks++;
                maxAcknowledgedFailures = Math.Max(maxAcknowledgedFailures, value);
            }

            if (!present)
            {
                totals.Lost++;
                TestContext.Current.TestOutputHelper?.WriteLine($"lost after kill {totals.Kills}: {line}");
            }
        }

        // RecordFailure returned count n only after committing it: the stored count is at least the highest acknowledged.
        // At most one call per writer task (two) was in flight when the kill landed, committed or not.
        var stored = (await adapter.CircuitBreakers.GetStateAsync("shared"))?.FailureCount ?? 0;
        if (stored < maxAcknowledgedFailures)
        {
            totals.Lost += maxAcknowledgedFailures - stored;
            TestContext.Current.TestOutputHelper?.WriteLine($"failure count {stored} < acknowledged {maxAcknowledgedFailures} after kill {totals.Kills}");
        }

        Assert.InRange(stored - totals.FailuresBefore, failureAcks, failureAcks + 2);
        totals.UnacknowledgedFailures += stored - totals.FailuresBefore - failureAcks;
        totals.FailuresBefore = stored;
    }

    private sealed class Totals
    {
        public int Kills { get; set; }

        public int EarlyKills { get; set; }

        public int Acknowledged { get; set; }

        public int Lost { get; set; }

        public int Corrupt { get; set; }

        public int FailuresBefore { get; set; }

        public int UnacknowledgedFailures { get; set; }
    }
}
