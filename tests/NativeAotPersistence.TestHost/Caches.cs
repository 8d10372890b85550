using System.Globalization;
using NativeAotPersistence;

/// <summary>The test host's commands about the read-through cache: a GetOrSet storm on one key with a witness log, and a factory runner to kill.</summary>
internal static class Caches
{
    /// <summary>The key every storm and runner misses on.</summary>
    public const string Key = "report";

    /// <summary>
    /// <c>cache-storm &lt;db&gt; &lt;log&gt; &lt;tasks&gt; &lt;factoryMs&gt; &lt;lockTimeoutMs&gt; [barrier]</c>: opens the store
    /// (<see cref="LockScope.Database"/>), waits on the barrier, appends "start &lt;pid&gt;" to the append-only witness
    /// log, then <c>tasks</c> tasks call <c>GetOrSetResultAsync</c> on <see cref="Key"/> together (an entry of 10 minutes,
    /// waiting at most <c>lockTimeoutMs</c> for another caller's factory). The factory appends "run &lt;pid&gt;", takes
    /// <c>factoryMs</c>, appends "done &lt;pid&gt;" and returns "value-from-&lt;pid&gt;". Prints per task
    /// "OK &lt;pid&gt; &lt;source&gt; &lt;value&gt;", or "ERR &lt;pid&gt; &lt;exception type&gt; &lt;message&gt;".
    /// </summary>
    public static async Task<string[]> StormAsync(
        string database, string log, int tasks, int factoryMs, int lockTimeoutMs, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open, Func<Task> barrier)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { LockScope = LockScope.Database, BusyTimeout = TimeSpan.FromMinutes(1) });
        await barrier();
        var pid = Environment.ProcessId;
        using var witness = new AppendOnlyLog(log);
        witness.Append(string.Create(CultureInfo.InvariantCulture, $"start {pid}"));
        var options = new GetOrSetOptions
        {
            Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) },
            LockTimeout = TimeSpan.FromMilliseconds(lockTimeoutMs),
        };
        using var start = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, tasks).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            try
            {
                var result = await adapter.Cache.GetOrSetResultAsync(Key, async ct =>
                {
                    witness.Append(string.Create(CultureInfo.InvariantCulture, $"run {pid}"));
                    await Task.Delay(factoryMs, ct);
                    witness.Append(string.Create(CultureInfo.InvariantCulture, $"done {pid}"));
                    return string.Create(CultureInfo.InvariantCulture, $"value-from-{pid}");
                }, options);
                return string.Create(CultureInfo.InvariantCulture, $"OK {pid} {result.Source} {result.Value}");
            }
            catch (Exception e) when (e is PersistenceException or TimeoutException)
            {
                return string.Create(CultureInfo.InvariantCulture, $"ERR {pid} {e.GetType().Name} {e.Message}");
            }
        })).ToArray();
        start.Set();
        return await Task.WhenAll(callers);
    }

    /// <summary>
    /// <c>cache-runner-hang &lt;db&gt; &lt;log&gt; &lt;lockTtlMs&gt;</c>: one <c>GetOrSetResultAsync</c> on <see cref="Key"/> whose
    /// factory appends "run &lt;pid&gt;" to the witness log and then hangs (two minutes at most, so nothing is left behind),
    /// holding the key's factory lease (TTL <c>lockTtlMs</c>, renewed). The parent kills it (SIGKILL) in the middle of the
    /// factory, leaving the lease of a dead holder behind. Prints "OK &lt;pid&gt; &lt;source&gt; &lt;value&gt;" if it ever returns.
    /// </summary>
    public static async Task<string> HangAsync(string database, string log, int lockTtlMs, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions
        {
            LockScope = LockScope.Database,
            DefaultLockTtl = TimeSpan.FromMilliseconds(lockTtlMs),
            BusyTimeout = TimeSpan.FromMinutes(1),
        });
        var pid = Environment.ProcessId;
        var result = await adapter.Cache.GetOrSetResultAsync(Key, async ct =>
        {
            AppendOnlyLog.Append(log, string.Create(CultureInfo.InvariantCulture, $"run {pid}"));
            await Task.Delay(TimeSpan.FromMinutes(2), ct);
            return string.Create(CultureInfo.InvariantCulture, $"value-from-{pid}");
        }, new GetOrSetOptions { Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) } });
        return string.Create(CultureInfo.InvariantCulture, $"OK {pid} {result.Source} {result.Value}");
    }
}
