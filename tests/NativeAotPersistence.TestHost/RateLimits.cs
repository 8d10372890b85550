using System.Globalization;
using System.Threading.RateLimiting;
using NativeAotPersistence;

/// <summary>The test host's command about the store-backed rate limiters: a storm on one fixed window with a witness log.</summary>
internal static class RateLimits
{
    /// <summary>The storm's limit: <see cref="PermitLimit"/> permits per <see cref="WindowMs"/> (the test checks against the same numbers).</summary>
    public const int PermitLimit = 100;

    /// <summary>The storm's window, in milliseconds.</summary>
    public const int WindowMs = 1000;

    /// <summary>How long each process runs the storm on a key of its own before the barrier.</summary>
    private const int WarmUpMs = 2000;

    /// <summary>
    /// <c>rate-storm &lt;db&gt; &lt;key&gt; &lt;log&gt; &lt;seconds&gt; &lt;tasks&gt; open|join [barrier]</c>: <c>tasks</c> tasks, each for
    /// the given time acquiring one permit at a time from a fixed window on <c>key</c> (<see cref="PermitLimit"/> per
    /// <see cref="WindowMs"/>, QueueLimit 1). Every third task (2, 5, …) calls <c>AcquireAsync</c>, queued in this
    /// process while the queue has room; the others call <c>AttemptAcquire</c> on a thread of their own. Refused, a task
    /// waits min(RetryAfter, 10-20 ms). With "open", the process first makes the key's first acquisition alone (task
    /// -1) and says "opened" in the barrier directory; with "join", it waits for that before its tasks begin.
    /// The append-only witness log gets "begin &lt;pid&gt; &lt;startMs&gt; &lt;deadlineMs&gt;" once, then
    /// "grant &lt;beforeMs&gt; &lt;afterMs&gt; &lt;pid&gt; &lt;task&gt;" per permit granted: the wall clock (the adapter's,
    /// <see cref="TimeProvider.System"/>) read just before the call and just after it returned, so the store's decision
    /// lies between the two. Prints "OK &lt;grants&gt;".
    /// </summary>
    public static async Task<string> StormAsync(
        string database, string key, string log, int seconds, int tasks, bool opens, string? barrierDirectory, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open, Func<Task> barrier)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        var options = new FixedWindowRateLimiterOptions { PermitLimit = PermitLimit, Window = TimeSpan.FromMilliseconds(WindowMs), QueueLimit = 1 };

        // Warm up the same way on a key of its own (compiled code, statements, a connection per task), so that the
        // storm's calls are as quick from its first window on as they will be later.
        using var warm = PersistentRateLimiter.CreateFixedWindow(adapter, key + "-warm-up", options);
        await RunAsync(warm, Now() + WarmUpMs, tasks, static (_, _, _) => { });

        await barrier();
        using var witness = new AppendOnlyLog(log);
        var pid = Environment.ProcessId;
        var start = Now();
        var deadline = start + (seconds * 1000L);
        witness.Append(string.Create(CultureInfo.InvariantCulture, $"begin {pid} {start} {deadline}"));
        var grants = 0;
        void Granted(long before, long after, int task)
        {
            Interlocked.Increment(ref grants);
            witness.Append(string.Create(CultureInfo.InvariantCulture, $"grant {before} {after} {pid} {task}"));
        }

        // The key's first acquisition, which starts its first window, is made alone, so that the log pins its time down
        // closely; the others begin once it is made. A first acquisition slower than 2 ms (a garbage collection, a WAL
        // checkpoint, the scheduler) would leave every window's first grants ambiguous: the opener then starts a fresh
        // key instead, and names the key it kept in the barrier file.
        var opened = barrierDirectory is null ? null : Path.Combine(barrierDirectory, "opened");
        RateLimiter? limiter = null;
        if (opens)
        {
            for (var attempt = 0; limiter is null; attempt++)
            {
                var candidateKey = string.Create(CultureInfo.InvariantCulture, $"{key}#{attempt}");
                var candidate = PersistentRateLimiter.CreateFixedWindow(adapter, candidateKey, options);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = Now();
                using var lease = candidate.AttemptAcquire(1);
                var after = Now();
                if (!lease.IsAcquired)
                {
                    return "ERR the key's first acquisition was refused";
                }

                if (after - before > 2 && attempt < 20 && opened is not null)
                {
                    candidate.Dispose();
                    continue;
                }

                Granted(before, after, -1);
                limiter = candidate;
                if (opened is not null)
                {
                    await File.WriteAllTextAsync(opened + ".tmp", candidateKey);
                    File.Move(opened + ".tmp", opened);
                }
            }
        }
        else if (opened is not null)
        {
            while (!File.Exists(opened) && Now() < deadline)
            {
                await Task.Delay(1);
            }

            limiter = PersistentRateLimiter.CreateFixedWindow(adapter, File.Exists(opened) ? await File.ReadAllTextAsync(opened) : key + "#0", options);
        }
        else
        {
            limiter = PersistentRateLimiter.CreateFixedWindow(adapter, key + "#0", options);
        }

        using var _ = limiter;
        await RunAsync(limiter, deadline, tasks, Granted);
        return string.Create(CultureInfo.InvariantCulture, $"OK {grants}");
    }

    /// <summary>The storm's tasks on <paramref name="limiter"/> until <paramref name="deadline"/> (Unix ms); <paramref name="granted"/> gets (before, after, task) per grant.</summary>
    private static async Task RunAsync(RateLimiter limiter, long deadline, int tasks, Action<long, long, int> granted)
    {
        var pid = Environment.ProcessId;
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Now())));
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(task => task % 3 == 2
            ? Task.Run(async () =>
            {
                var random = new Random((pid * 31) + task);
                while (Now() < deadline)
                {
                    var before = Now();
                    RateLimitLease lease;
                    try
                    {
                        lease = await limiter.AcquireAsync(1, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break; // queued past the deadline
                    }

                    var after = Now();
                    using (lease)
                    {
                        if (lease.IsAcquired)
                        {
                            granted(before, after, task);
                            continue;
                        }

                        await Task.Delay(Pause(lease, random));
                    }
                }
            })
            : Task.Factory.StartNew(
                () =>
                {
                    // AttemptAcquire blocks its thread while the store is busy: a thread of its own, not the pool's.
                    var random = new Random((pid * 31) + task);
                    while (Now() < deadline)
                    {
                        var before = Now();
                        using var lease = limiter.AttemptAcquire(1);
                        var after = Now();
                        if (lease.IsAcquired)
                        {
                            granted(before, after, task);
                            continue;
                        }

                        Thread.Sleep(Pause(lease, random));
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)));
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // A refusal's wait: its RetryAfter (a whole window here) or 10-20 ms with jitter, whichever is shorter.
    private static TimeSpan Pause(RateLimitLease lease, Random random)
    {
        var pause = TimeSpan.FromMilliseconds(random.Next(10, 21));
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter < pause ? retryAfter : pause;
    }
}
