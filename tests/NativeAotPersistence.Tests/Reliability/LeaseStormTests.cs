using System.Diagnostics;
using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Leases across real processes at their edges, with an external witness: an append-only log the processes write to as
/// things happen, checked afterwards. A busy writer that stalls renewals; a process stopped (SIGSTOP) in the middle of
/// an ExecuteOnce action.
/// </summary>
public sealed class LeaseStormTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task WithAWriterHoldingTheFileBusy_AHoldersHandleLostFires_BeforeAnyOtherOwnerGetsIn()
    {
        // Four processes take turns on one auto-renewed lock (TTL 50-80 ms, held 100 ms at a time) while a fifth holds
        // the database's write lock for 120 ms at a time, longer than any TTL: renewals stall, leases are lost. The
        // witness log must never show an "enter" while another holder is inside and has not logged "lost" (or "leave").
        using var dir = new TempDirectory();
        var db = dir.File("storm.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        var log = dir.File("witness.log");

        var outcomes = await RunAllAsync(dir, [
            .. Enumerable.Range(0, 4).Select(_ => (string[])["lease-storm", db, log, "8", "50", "80", "100"]),
            ["block-writer", db, "120", "40", "8"],
        ]);

        var lines = await File.ReadAllLinesAsync(log, Ct);
        var (sections, losses, overlaps) = Witness(lines);
        Report($"storm: {sections} sections, {losses} lost leases, {overlaps.Count} overlaps; blocker: {outcomes[^1].Lines[^1]}");
        Assert.Empty(overlaps);
        Assert.True(sections >= 20, $"only {sections} sections: the storm did not run");
        Assert.True(losses >= 1, "no lease was lost: the blocker never stalled a renewal, so the edge was not reached");
    }

    [Fact]
    public async Task AProcessStoppedWhileItsExecuteOnceActionRuns_LeavesOneAnswerForEveryCaller()
    {
        // Four processes x eight threads call ExecuteOnce on one key (lease TTL 1 s, a 3 s action). The process that runs
        // the action first is stopped for 3 s: its lease expires, another process runs the action and stores its result.
        // When the stopped process resumes, its action's token fires (or, if it finishes anyway, its result is not
        // stored): every one of the 32 callers returns the one stored result, and it is never overwritten.
        using var dir = new TempDirectory();
        var db = dir.File("once.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        var log = dir.File("actions.log");
        await File.WriteAllTextAsync(log, "", Ct);

        var stopped = 0;
        var running = RunAllAsync(dir, [.. Enumerable.Range(0, 4).Select(_ => (string[])["execute-once-stall", db, "charge:42", log, "3000", "8", "1000"])]);
        var stopper = Task.Run(async () =>
        {
            while (!running.IsCompleted)
            {
                var start = (await File.ReadAllLinesAsync(log, Ct)).FirstOrDefault(l => l.StartsWith("start ", StringComparison.Ordinal));
                if (start is not null)
                {
                    stopped = int.Parse(start["start ".Length..], CultureInfo.InvariantCulture);
                    Signal("STOP", stopped);
                    await Task.Delay(3000, Ct);
                    Signal("CONT", stopped);
                    return;
                }

                await Task.Delay(5, Ct);
            }
        }, Ct);

        var outcomes = await running;
        await stopper;
        Assert.NotEqual(0, stopped);
        var answers = outcomes.SelectMany(o => o.Lines).Where(l => l.StartsWith("OK ", StringComparison.Ordinal)).Select(l => l[3..]).ToArray();
        var actions = await File.ReadAllLinesAsync(log, Ct);
        Report($"stopped {stopped}; actions: {string.Join(" | ", actions)}; answers: {string.Join(", ", answers.Distinct())}");

        Assert.Equal(32, answers.Length);
        var answer = Assert.Single(answers.Distinct());
        await using var adapter = await SqliteAdapter.OpenAsync(db);
        Assert.Equal(answer, (await adapter.Idempotency.GetAsync<string>("charge:42", Ct))?.Value);

        // The stopped process's action was cut short by the lost lease, or finished without overwriting the stored answer.
        Assert.Contains(actions, a => a == $"cancelled {stopped}" || a == $"done {stopped}");
        Assert.InRange(actions.Count(a => a.StartsWith("start ", StringComparison.Ordinal)), 2, 4);
        Assert.InRange(actions.Count(a => a.StartsWith("done ", StringComparison.Ordinal)), 1, 2);
    }

    /// <summary>
    /// Reads the storm's witness log in order: an "enter" while another holder is inside (entered, and neither "lost"
    /// nor "leave" logged yet) is an overlap the holder was not told about.
    /// </summary>
    private static (int Sections, int Losses, List<string> Overlaps) Witness(string[] lines)
    {
        string? inside = null;
        int sections = 0, losses = 0;
        var overlaps = new List<string>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "enter":
                    sections++;
                    if (inside is not null)
                    {
                        overlaps.Add($"{line} while {inside} was inside");
                    }

                    inside = parts[1];
                    break;
                case "lost":
                    losses++;
                    if (inside == parts[1])
                    {
                        inside = null;
                    }

                    break;
                case "leave":
                    if (inside == parts[1])
                    {
                        inside = null;
                    }

                    break;
            }
        }

        return (sections, losses, overlaps);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Starts every process, lets them all open the file, then releases them together (a barrier directory).</summary>
    internal static async Task<(int ExitCode, string[] Lines, string Error)[]> RunAllAsync(TempDirectory dir, string[][] commands)
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

        await File.WriteAllTextAsync(Path.Combine(barrier, "go"), "", Ct);
        var outcomes = await Task.WhenAll(running);
        Assert.All(outcomes, o => Assert.True(o.ExitCode == 0, o.Error));
        return outcomes;
    }
}
