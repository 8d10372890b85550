using System.Globalization;
using NativeAotPersistence;

/// <summary>The test host's commands about semaphores: a storm with a witness log, and a holder to kill.</summary>
internal static class Semaphores
{
    /// <summary>
    /// <c>semaphore-storm &lt;db&gt; &lt;log&gt; &lt;seconds&gt; &lt;permits&gt; &lt;tasks&gt; [barrier]</c>: <c>tasks</c> tasks, each for the
    /// given time waiting for a permit of "pool" (limit <c>permits</c>, auto-renewed) and holding it 1-10 ms. The
    /// append-only witness log gets "enter &lt;token&gt; &lt;pid&gt; &lt;task&gt;" once held and "leave …" before the release.
    /// Prints "OK &lt;sections&gt;".
    /// </summary>
    public static async Task<string> StormAsync(string database, string log, int seconds, int permits, int tasks, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open, Func<Task> barrier)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        await barrier();
        using var witness = new AppendOnlyLog(log);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var sections = 0;
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(task => Task.Run(async () =>
        {
            var random = new Random(Environment.ProcessId * 31 + task);
            while (DateTime.UtcNow < deadline)
            {
                var handle = await adapter.Semaphores.AcquireAsync(
                    "pool", permits, new LockOptions { Ttl = TimeSpan.FromSeconds(2), AutoExtend = true, Wait = TimeSpan.FromSeconds(5) });
                if (handle is null)
                {
                    continue;
                }

                Interlocked.Increment(ref sections);
                var line = string.Create(CultureInfo.InvariantCulture, $"{handle.FencingToken} {Environment.ProcessId} {task}");
                witness.Append("enter " + line);
                await Task.Delay(random.Next(1, 11));
                witness.Append("leave " + line);
                await handle.ReleaseAsync();
            }
        })));
        return string.Create(CultureInfo.InvariantCulture, $"OK {sections}");
    }

    /// <summary>
    /// <c>hold-permit &lt;db&gt; &lt;key&gt; &lt;permits&gt; &lt;ttlMs&gt;</c>: takes one permit (no renewal), prints
    /// "HELD &lt;token&gt; &lt;pid&gt;", and holds it until stdin closes or a line arrives. The parent kills it to leave a dead holder.
    /// </summary>
    public static async Task<string> HoldAsync(string database, string key, int permits, int ttlMs, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        var handle = await adapter.Semaphores.AcquireAsync(key, permits, TimeSpan.FromMilliseconds(ttlMs), $"holder-{Environment.ProcessId}")
            ?? throw new InvalidOperationException("Every permit is held by someone else.");
        lock (Console.Out)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HELD {handle.FencingToken} {Environment.ProcessId}"));
            Console.Out.Flush();
        }

        await Task.WhenAny(Task.Run(Console.ReadLine), Task.Delay(TimeSpan.FromMinutes(2)));
        await handle.ReleaseAsync();
        return "RELEASED";
    }
}
