using System.Globalization;
using System.Text.Json;

namespace NativeAotPersistence.Tests.Sample;

/// <summary>The sample tests start real processes: run them one class at a time, alone, so timings stay sane on 2 cores.</summary>
[CollectionDefinition("Sample", DisableParallelization = true)]
public sealed class SampleProcesses;

/// <summary><c>aotconsole run</c> as a child process: killed and resumed, raced, interrupted.</summary>
[Collection("Sample")]
public sealed class SampleRunTests : IDisposable
{
    private static readonly string[] s_job = ["--records", "20000", "--batch", "200", "--fail-rate", "0.2", "--seed", "7"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task KilledThreeTimes_ResumesAndAppliesEveryBatchExactlyOnce()
    {
        var clean = _dir.File("clean.db");
        using var cleanRun = await AotConsoleProcess.RunAsync(["run", "--db", clean, .. s_job]);
        Assert.True(cleanRun.ExitCode == 0, Describe(cleanRun));

        // SIGKILL at three different points of the job, each time on the resumed run, then let it finish.
        var killed = _dir.File("killed.db");
        var log = new List<string>();
        foreach (var percent in new[] { 10.0, 40.0, 70.0 })
        {
            using var run = AotConsoleProcess.Start(["run", "--db", killed, .. s_job]);
            await run.WaitForLineAsync(line => Percent(line) >= percent);
            await run.KillAsync();
            log.AddRange(run.Output);
            log.Add($"--- SIGKILL after {percent}%");
        }

        using var final = await AotConsoleProcess.RunAsync(["run", "--db", killed, .. s_job]);
        log.AddRange(final.Output);
        Assert.True(final.ExitCode == 0, Describe(final));

        // The killed runs left their job lock behind: every next run took it over at once (not after its 15 s TTL).
        Assert.Equal(3, log.Count(l => l.StartsWith("took over the job lock from", StringComparison.Ordinal)));
        Assert.Equal(3, log.Count(l => l.StartsWith("resuming job", StringComparison.Ordinal)));

        // Every batch applied exactly once upstream: same batches as the clean run, no gap, no double effect.
        var expected = SqliteFile.Batches(SqliteFile.UpstreamOf(clean));
        var actual = SqliteFile.Batches(SqliteFile.UpstreamOf(killed));
        Assert.Equal(100, expected.Count);
        Assert.Equal(expected, actual);
        var cleanJob = Assert.Single(SqliteFile.Jobs(SqliteFile.UpstreamOf(clean)));
        var killedJob = Assert.Single(SqliteFile.Jobs(SqliteFile.UpstreamOf(killed)));
        Assert.Equal((100L, 20_000L, cleanJob.SumMilli), (killedJob.Batches, killedJob.Records, killedJob.SumMilli));
        Assert.Equal(0, cleanJob.IgnoredRepeats);
        Assert.InRange(killedJob.IgnoredRepeats, 0, 3);

        // The final aggregate equals the clean run's, and both files are intact.
        Assert.Equal(Line(cleanRun.Output, "  aggregate"), Line(final.Output, "  aggregate"));
        Assert.Equal("ok", SqliteFile.IntegrityCheck(killed));
        Assert.Equal("ok", SqliteFile.IntegrityCheck(SqliteFile.UpstreamOf(killed)));

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"upstream ignored {killedJob.IgnoredRepeats} repeat(s) over 3 kills; {Line(final.Output, "  duplicate deliveries avoided").Trim()}");
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', log));
    }

    [Fact]
    public async Task TwoRunsAtOnce_OneExitsWithCode3NamingTheHolder()
    {
        // A job long enough (200 batches) that the first run still holds the lock whenever the second one starts.
        var db = _dir.File("race.db");
        string[] args = ["run", "--db", db, "--records", "200000", "--batch", "1000"];
        using var a = AotConsoleProcess.Start(args);
        using var b = AotConsoleProcess.Start(args);
        var (first, second) = (a.WaitForExitAsync(), b.WaitForExitAsync());
        var loser = await Task.WhenAny(first, second) == first ? a : b;
        var winner = loser == a ? b : a;

        Assert.True(loser.ExitCode == 3, SampleRunTests.Describe(loser));
        var error = Assert.Single(loser.Errors);
        Assert.StartsWith("aotconsole: another run holds the job lock on ", error, StringComparison.Ordinal);
        Assert.Contains($"owner {Environment.MachineName}:{winner.Id}:", error, StringComparison.Ordinal);

        // The holder is still working: stop it the hard way, the test is over.
        await winner.WaitForLineAsync(l => l.StartsWith("job ", StringComparison.Ordinal));
        await winner.KillAsync();
    }

    [Fact]
    public async Task Interrupt_KeepsTheCheckpoint_ReleasesTheLock_Exits130_AndTheNextRunResumes()
    {
        var db = _dir.File("interrupted.db");
        using (var run = AotConsoleProcess.Start(["run", "--db", db, .. s_job]))
        {
            await run.WaitForLineAsync(line => Percent(line) >= 20);
            await run.SignalAsync(InterruptSignal());
            Assert.Equal(130, await run.WaitForExitAsync());
            Assert.Contains(run.Output, l => l.StartsWith("interrupted at batch ", StringComparison.Ordinal) && l.Contains("the checkpoint is kept and the job lock released", StringComparison.Ordinal));
        }

        using (var inspect = await AotConsoleProcess.RunAsync("inspect", "--db", db, "--json"))
        {
            Assert.True(inspect.ExitCode == 0, Describe(inspect));
            using var json = JsonDocument.Parse(string.Join('\n', inspect.Output));
            var task = Assert.Single(json.RootElement.GetProperty("tasks").EnumerateArray());
            Assert.Equal("upload", task.GetProperty("taskId").GetString());
            Assert.InRange(task.GetProperty("progress").GetInt32(), 20, 99);
            Assert.Empty(json.RootElement.GetProperty("locks").EnumerateArray());
        }

        using var resumed = await AotConsoleProcess.RunAsync(["run", "--db", db, .. s_job]);
        Assert.True(resumed.ExitCode == 0, Describe(resumed));
        Assert.Contains(resumed.Output, l => l.StartsWith("resuming job", StringComparison.Ordinal));
        Assert.DoesNotContain(resumed.Output, l => l.StartsWith("took over", StringComparison.Ordinal));
        var job = Assert.Single(SqliteFile.Jobs(SqliteFile.UpstreamOf(db)));
        Assert.Equal((100L, 20_000L), (job.Batches, job.Records));
    }

    [Fact]
    public async Task ASecondRunOfTheSameJob_SaysWhatTheStoreGaveIt_AndSendsNothing_ThenSaysWhatToTryNext()
    {
        var db = _dir.File("twice.db");
        using var first = await AotConsoleProcess.RunAsync(["run", "--db", db, .. s_job]);
        Assert.True(first.ExitCode == 0, Describe(first));
        Assert.Equal($"store: {db} (the upstream's data: {SqliteFile.UpstreamOf(db)})", first.Output[0]);
        var jobId = Line(first.Output, "done: job ")["done: job ".Length..];

        using var second = await AotConsoleProcess.RunAsync(["run", "--db", db, .. s_job]);
        Assert.True(second.ExitCode == 0, Describe(second));
        Assert.Equal(
            $"nothing to do: job {jobId} already delivered these 20,000 readings (seed 7, 100 batches of 200); nothing was sent this time",
            Line(second.Output, "nothing to do: "));
        Assert.DoesNotContain(second.Output, l => l.StartsWith("progress ", StringComparison.Ordinal));
        var job = Assert.Single(SqliteFile.Jobs(SqliteFile.UpstreamOf(db)));
        Assert.Equal((100L, 20_000L, 0L), (job.Batches, job.Records, job.IgnoredRepeats));

        // The next steps name this store and this job's options, so they can be pasted as they are.
        var next = second.Output.SkipWhile(l => l != "next:").Skip(1).Select(l => l.Trim()).ToList();
        Assert.Equal(3, next.Count);
        Assert.StartsWith($"aotconsole inspect --db {db} ", next[0], StringComparison.Ordinal);
        Assert.StartsWith($"aotconsole --db {db} --records 20000 --batch 200 --seed 7 ", next[1], StringComparison.Ordinal);
        Assert.StartsWith($"aotconsole --db {db} --records 20000 --batch 200 --seed 8 ", next[2], StringComparison.Ordinal);

        // The first of them, as given: a new job (seed 8) runs.
        using var another = await AotConsoleProcess.RunAsync(["--db", db, "--records", "20000", "--batch", "200", "--seed", "8"]);
        Assert.True(another.ExitCode == 0, Describe(another));
        Assert.Contains(another.Output, l => l.StartsWith("done: job ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_NamesTheProgram_SaysRunIsTheDefault_AndShowsDefaultsAsTheyAre()
    {
        using var root = await AotConsoleProcess.RunAsync("--help");
        Assert.Equal("Usage: aotconsole [command] [-h|--help] [--version]", root.Output[0]);
        Assert.Contains("Without a command, aotconsole runs `run`: `aotconsole --records 5000` is `aotconsole run --records 5000`.", root.Output);

        using var run = await AotConsoleProcess.RunAsync("run", "--help");
        Assert.StartsWith("Usage: aotconsole run ", run.Output[0], StringComparison.Ordinal);
        Assert.DoesNotContain(run.Output, l => l.Contains("[Default: null]", StringComparison.Ordinal));
        Assert.Contains(run.Output, l => l.Contains("default ./aotconsole.db", StringComparison.Ordinal));

        using var inspect = await AotConsoleProcess.RunAsync("inspect", "--help");
        Assert.Contains(inspect.Output, l => l.Contains("--prefix", StringComparison.Ordinal) && l.EndsWith("[Default: aotconsole:]", StringComparison.Ordinal));
    }

    internal static string Describe(AotConsoleProcess p) =>
        $"exit {p.ExitCode}\nstdout:\n{string.Join('\n', p.Output)}\nstderr:\n{string.Join('\n', p.Errors)}";

    private static string Line(IReadOnlyList<string> output, string prefix) =>
        Assert.Single(output, l => l.StartsWith(prefix, StringComparison.Ordinal));

    // "progress  42.0%  8,400/20,000 records ..." → 42.0; other lines → -1.
    internal static double Percent(string line)
    {
        if (!line.StartsWith("progress ", StringComparison.Ordinal))
        {
            return -1;
        }

        var field = line["progress ".Length..].TrimStart();
        return double.Parse(field[..field.IndexOf('%', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }

    // Ctrl+C is SIGINT; a process started in the background of a non-interactive shell inherits SIGINT ignored, and then
    // so does the child: fall back to SIGTERM, which the sample handles the same way.
    private static string InterruptSignal()
    {
        var ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = ignored is null ? 0 : ulong.Parse(ignored["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & 2) == 0 ? "INT" : "TERM";
    }
}
