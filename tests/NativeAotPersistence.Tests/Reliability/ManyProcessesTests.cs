using System.Globalization;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>Issue 9, test 2: several real processes on one database file.</summary>
public class ManyProcessesTests
{
    private const int Processes = 4;
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    private static async Task<string> CreateDatabaseAsync(TempDirectory dir)
    {
        var db = dir.File("shared.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        return db;
    }

    // Starts the processes, lets them all open the file, then releases them together (a barrier directory; see the test
    // host) so their work overlaps instead of following process start-up order.
    private static async Task<(int ExitCode, string[] Lines, string Error)[]> RunAllAsync(TempDirectory dir, int count, Func<int, string[]> args)
    {
        var barrier = Directory.CreateDirectory(dir.File("barrier")).FullName;
        var running = Enumerable.Range(0, count).Select(i => ChildProcess.RunTestHostAsync([.. args(i), barrier], timeout: s_timeout)).ToArray();
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            cts.CancelAfter(s_timeout);
            while (Directory.GetFiles(barrier, "ready-*").Length < count && !running.Any(r => r.IsCompleted))
            {
                await Task.Delay(10, cts.Token);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(barrier, "go"), "", TestContext.Current.CancellationToken);
        var outcomes = await Task.WhenAll(running);
        Assert.All(outcomes, o => Assert.True(o.ExitCode == 0, o.Error));
        return outcomes;
    }

    [Fact]
    public async Task FourProcesses_500RecordFailuresEach_OnOneKey_CountExactly2000()
    {
        using var dir = new TempDirectory();
        var db = await CreateDatabaseAsync(dir);

        var outcomes = await RunAllAsync(dir, Processes, _ => ["record-failures", db, "payments", "500"]);

        var lasts = outcomes.Select(o => int.Parse(Assert.Single(o.Lines)["OK ".Length..], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2000, lasts.Max());
        await using var adapter = await SqliteAdapter.OpenAsync(db);
        var state = await adapter.CircuitBreakers.GetStateAsync("payments");
        Assert.Equal(2000, state!.FailureCount);
        Report($"4 processes x 500 RecordFailure: count {state.FailureCount}; last counts seen {string.Join(", ", lasts)}");
    }

    [Fact]
    public async Task FourProcesses_ContendingForOneDatabaseLock_200CriticalSectionsEach_NeverOverlap()
    {
        using var dir = new TempDirectory();
        var db = await CreateDatabaseAsync(dir);
        var counter = dir.File("counter.txt");
        var marker = dir.File("inside.marker");

        var outcomes = await RunAllAsync(dir, Processes, _ => ["lock-counter", db, "counter", counter, "200", marker]);

        // Each process saw no other holder inside its critical sections.
        Assert.All(outcomes, o => Assert.Equal("OK 0", o.Lines[^1]));
        Assert.Equal("800", (await File.ReadAllTextAsync(counter, TestContext.Current.CancellationToken)).Trim());
        Assert.False(File.Exists(marker));

        // Every section wrote a distinct counter value, and the fencing tokens rise in the order the sections ran.
        var sections = outcomes
            .SelectMany(o => o.Lines.Where(l => l.StartsWith("T ", StringComparison.Ordinal)))
            .Select(l => l.Split(' '))
            .Select(p => (Value: int.Parse(p[1], CultureInfo.InvariantCulture), Token: long.Parse(p[2], CultureInfo.InvariantCulture)))
            .OrderBy(s => s.Value)
            .ToArray();
        Assert.Equal(Enumerable.Range(1, 800), sections.Select(s => s.Value));
        for (var i = 1; i < sections.Length; i++)
        {
            Assert.True(sections[i].Token > sections[i - 1].Token, $"Token {sections[i].Token} after {sections[i - 1].Token} at counter {sections[i].Value}.");
        }

        Report($"4 processes x 200 lock sections: counter 800, 0 overlaps, tokens {sections[0].Token}..{sections[^1].Token} strictly rising");
    }

    [Fact]
    public async Task ExecuteOnce_From4ProcessesX8Threads_OnOneKey_RunsTheActionOnce()
    {
        using var dir = new TempDirectory();
        var db = await CreateDatabaseAsync(dir);
        var runs = dir.File("runs.log");

        var outcomes = await RunAllAsync(dir, Processes, _ => ["execute-once-threads", db, "import:2026-11-25", runs, "300", "8"]);

        var values = outcomes.SelectMany(o => o.Lines).ToArray();
        Assert.Equal(32, values.Length);
        var value = Assert.Single(values.Distinct());
        Assert.StartsWith("OK ran-in-", value, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(runs, TestContext.Current.CancellationToken));
        Report($"ExecuteOnce from 4 processes x 8 threads: 32 callers, 1 run, 1 distinct result");
    }

    [Fact]
    public async Task ACircuitBreakerOpenedInOneProcess_RejectsInAnother()
    {
        using var dir = new TempDirectory();
        var db = await CreateDatabaseAsync(dir);

        var (exit, lines, error) = await ChildProcess.RunTestHostAsync(["breaker", db, "payments", "fail", "3"], timeout: s_timeout);
        Assert.True(exit == 0, error);
        Assert.Equal(["FAILED", "FAILED", "FAILED", "STATE Open"], lines);

        (exit, lines, error) = await ChildProcess.RunTestHostAsync(["breaker", db, "payments", "succeed", "2"], timeout: s_timeout);
        Assert.True(exit == 0, error);
        Assert.Equal(3, lines.Length);
        Assert.All(lines[..2], l => Assert.StartsWith("REJECTED ", l, StringComparison.Ordinal));
        Assert.Equal("STATE Open", lines[2]);

        // The retry time the second process was given is the first process's last failure plus the reset timeout.
        await using var adapter = await SqliteAdapter.OpenAsync(db);
        var state = await adapter.CircuitBreakers.GetStateAsync("payments");
        Assert.Equal(3, state!.FailureCount);
        var retryAfter = long.Parse(lines[0]["REJECTED ".Length..], CultureInfo.InvariantCulture);
        Assert.Equal((state.LastFailureTime!.Value + TimeSpan.FromMinutes(10)).ToUnixTimeMilliseconds(), retryAfter);
    }
}
