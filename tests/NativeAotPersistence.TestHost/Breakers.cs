using System.Globalization;
using NativeAotPersistence;

/// <summary>The test host's command about the fleet circuit breaker: a storm on one key, against a fake dependency that fails for a while, with a witness log.</summary>
internal static class Breakers
{
    /// <summary>The storm's half-open trials at once, fleet-wide (the test checks against the same number).</summary>
    public const int HalfOpenMaxTrials = 2;

    /// <summary>The storm's break, in milliseconds.</summary>
    public const int ResetTimeoutMs = 200;

    /// <summary>The ratio mode's window, in milliseconds.</summary>
    public const int SamplingDurationMs = 2000;

    private const string Down = "the dependency is down";

    /// <summary>
    /// <c>breaker-storm &lt;db&gt; &lt;log&gt; consecutive|ratio &lt;tasks&gt; &lt;failFromMs&gt; &lt;recoverAtMs&gt; &lt;endMs&gt; &lt;barrier&gt;</c>:
    /// <c>tasks</c> tasks, each calling <see cref="CircuitBreaker.ExecuteAsync(Func{CancellationToken, ValueTask}, CancellationToken)"/>
    /// in a loop on the key "dependency" against a fake dependency that takes 30-50 ms and fails (throws) when it ends in
    /// [failFrom, recoverAt) and succeeds otherwise. The three times are milliseconds after the instant T0 (Unix ms) the
    /// parent writes into the barrier directory's "go" file when it releases the processes, so that every process has the
    /// same ones; the tasks run from T0 until T0 + endMs. A rejected call (<see cref="CircuitBreakerOpenException"/>)
    /// waits min(RetryAfter, 20 ms) plus 0-5 ms and loops.
    /// <para>
    /// The breaker: consecutive (3 failures) or ratio (0.5 of at least 20 calls in <see cref="SamplingDurationMs"/>), a
    /// break of <see cref="ResetTimeoutMs"/>, <see cref="HalfOpenMaxTrials"/> trials at once, one trial success closes it,
    /// a trial's permit lives 5 s.
    /// </para>
    /// <para>
    /// The append-only witness log gets "begin &lt;pid&gt; &lt;T0&gt; &lt;failFrom&gt; &lt;recoverAt&gt; &lt;end&gt;" (absolute, Unix
    /// ms) once, then per dependency call "call &lt;startMs&gt; &lt;enterMs&gt; &lt;leaveMs&gt; &lt;pid&gt; &lt;task&gt; ok|fail": the wall
    /// clock read before <c>ExecuteAsync</c> was called, just before the dependency was entered and as it left (the
    /// time its outcome was decided by), and per transition this process caused "state &lt;ms&gt; &lt;pid&gt; &lt;from&gt; &lt;to&gt;",
    /// the wall clock read in <see cref="CircuitBreakerOptions.OnStateChanged"/> (after the store made it). Prints
    /// "OK &lt;calls&gt; &lt;rejections&gt;".
    /// </para>
    /// </summary>
    public static async Task<string> StormAsync(
        string database, string log, string mode, int tasks, int failFromMs, int recoverAtMs, int endMs, string barrierDirectory,
        Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open, Func<Task> barrier)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        var pid = Environment.ProcessId;
        AppendOnlyLog? witness = null;
        CircuitBreakerOptions Options(bool logged) => new()
        {
            FailureThreshold = 3,
            FailureRatio = mode == "ratio" ? 0.5 : 0,
            MinimumThroughput = 20,
            SamplingDuration = TimeSpan.FromMilliseconds(SamplingDurationMs),
            ResetTimeout = TimeSpan.FromMilliseconds(ResetTimeoutMs),
            HalfOpenMaxTrials = HalfOpenMaxTrials,
            SuccessThreshold = 1,
            TrialPermitTtl = TimeSpan.FromSeconds(5),
            OnStateChanged = logged
                ? t => witness!.Append(string.Create(CultureInfo.InvariantCulture, $"state {Now()} {pid} {t.From} {t.To}"))
                : null,
        };

        // Warm up the same paths on a key of this process's own (failures, an opening, rejections, trials, the closing),
        // so that the storm's calls are as quick from its first on as they will be later.
        var warmStart = Now();
        await RunAsync(new CircuitBreaker(adapter.CircuitBreakers, $"warm-up-{pid}", Options(logged: false)), tasks, warmStart, warmStart + 150, warmStart + 600, null);

        await barrier();
        var t0 = long.Parse(await File.ReadAllTextAsync(Path.Combine(barrierDirectory, "go")), CultureInfo.InvariantCulture);
        var (failFrom, recoverAt, end) = (t0 + failFromMs, t0 + recoverAtMs, t0 + endMs);
        witness = new AppendOnlyLog(log);
        using (witness)
        {
            witness.Append(string.Create(CultureInfo.InvariantCulture, $"begin {pid} {t0} {failFrom} {recoverAt} {end}"));
            var breaker = new CircuitBreaker(adapter.CircuitBreakers, "dependency", Options(logged: true));
            var (calls, rejections) = await RunAsync(breaker, tasks, failFrom, recoverAt, end, witness);
            return string.Create(CultureInfo.InvariantCulture, $"OK {calls} {rejections}");
        }
    }

    private static async Task<(int Calls, int Rejections)> RunAsync(CircuitBreaker breaker, int tasks, long failFrom, long recoverAt, long end, AppendOnlyLog? witness)
    {
        var pid = Environment.ProcessId;
        int calls = 0, rejections = 0;
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(task => Task.Run(async () =>
        {
            var random = new Random((pid * 31) + task);
            while (Now() < end)
            {
                var start = Now();
                try
                {
                    await breaker.ExecuteAsync(async ct =>
                    {
                        var enter = Now();
                        await Task.Delay(random.Next(30, 51), ct);
                        var leave = Now();
                        var fails = leave >= failFrom && leave < recoverAt;
                        Interlocked.Increment(ref calls);
                        witness?.Append(string.Create(CultureInfo.InvariantCulture, $"call {start} {enter} {leave} {pid} {task} {(fails ? "fail" : "ok")}"));
                        if (fails)
                        {
                            throw new InvalidOperationException(Down);
                        }
                    });
                }
                catch (InvalidOperationException e) when (e.Message == Down)
                {
                }
                catch (CircuitBreakerOpenException e)
                {
                    Interlocked.Increment(ref rejections);
                    var pause = e.RetryAfter >= TimeSpan.Zero && e.RetryAfter < TimeSpan.FromMilliseconds(20) ? e.RetryAfter : TimeSpan.FromMilliseconds(20);
                    await Task.Delay(pause + TimeSpan.FromMilliseconds(random.Next(0, 6)));
                }
            }
        })));
        return (calls, rejections);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
