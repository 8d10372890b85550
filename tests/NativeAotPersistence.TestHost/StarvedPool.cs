using NativeAotPersistence;

/// <summary>
/// <c>starved-pool &lt;db&gt; &lt;tasks&gt; &lt;writes&gt;</c>: at most 4 thread-pool threads, and more pool tasks than that which each
/// write and wait synchronously (<c>.AsTask().Wait()</c>), so the pool is starved by callers blocked on their own writes.
/// Prints "OK &lt;n&gt; writes, &lt;n&gt; rows" once every write was acknowledged; the parent's timeout turns a hang into a failure.
/// </summary>
internal static class StarvedPool
{
    public static async Task<string> RunAsync(string path, int tasks, int writesEach)
    {
        if (!ThreadPool.SetMinThreads(2, 2) || !ThreadPool.SetMaxThreads(4, 4))
        {
            return "ERR could not limit the thread pool";
        }

        await using var adapter = await SqliteAdapter.OpenAsync(path);
        var acknowledged = 0;
        var workers = Enumerable.Range(0, tasks).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < writesEach; i++)
            {
                adapter.Cache.SetAsync($"t{t}:{i}", i).AsTask().Wait();
                Interlocked.Increment(ref acknowledged);
            }
        })).ToArray();

        // Waited for on this thread, not the pool's.
        Task.WaitAll(workers);
        var rows = (await adapter.Cache.KeysAsync()).Count;
        return $"OK {acknowledged} writes, {rows} rows";
    }
}
