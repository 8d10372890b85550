using System.Diagnostics;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--probe [seconds]`: what other callers' code does to one caller's write latency. A probe thread of its own writes
/// once every 10 ms to a WAL file (waiting synchronously) and records each write's latency, while the thread pool is
/// (1) idle, (2) busy with 16 tasks that write and then block 20 ms after each acknowledgment, and (3) limited to 4
/// threads with 16 tasks that each wait synchronously on their own writes (a starved pool). Prints p50, p99 and max.
/// No caller's code runs on the thread that commits: (2) and (3) slow only their own callers.
/// </summary>
internal static class ProbeLatency
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var dir = BenchFiles.NewDirectory();
        try
        {
            await using var adapter = await SqliteAdapter.OpenAsync(Path.Combine(dir, "probe.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
            Console.WriteLine($"probe: one write every 10 ms from its own thread for {seconds} s, on a WAL file; write latency p50 / p99 / max");
            Print("alone", Probe(adapter, seconds, _ => { }));
            Print("16 pool tasks blocking 20 ms after each awaited write", Probe(adapter, seconds, stop => Load(adapter, stop, async (cache, i) =>
            {
                await cache.SetAsync("load" + i, Samples.Small);
                Thread.Sleep(20);
            })));

            ThreadPool.GetMaxThreads(out var workers, out var io);
            ThreadPool.SetMaxThreads(Math.Max(4, Environment.ProcessorCount), io);
            ThreadPool.SetMaxThreads(4, io);
            Print("pool of 4 threads, 16 tasks waiting synchronously", Probe(adapter, seconds, stop => Load(adapter, stop, (cache, i) =>
            {
                cache.SetAsync("load" + i, Samples.Small).AsTask().Wait();
                return Task.CompletedTask;
            })));
            ThreadPool.SetMaxThreads(workers, io);
        }
        finally
        {
            BenchFiles.Delete(dir);
        }
    }

    private static void Print(string name, List<double> latencies)
    {
        latencies.Sort();
        double At(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"  {name,-52} {At(0.5),7:0.00} / {At(0.99),7:0.00} / {latencies[^1],7:0.00} ms  ({latencies.Count} writes)");
    }

    /// <summary>Starts 16 pool tasks that run <paramref name="work"/> in a loop until <paramref name="stop"/> is set.</summary>
    private static void Load(SqliteAdapter adapter, ManualResetEventSlim stop, Func<ICacheProvider, int, Task> work)
    {
        for (var t = 0; t < 16; t++)
        {
            var id = t;
            _ = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsSet; i++)
                {
                    await work(adapter.Cache, (id * 1000) + (i % 1000));
                }
            });
        }
    }

    private static List<double> Probe(SqliteAdapter adapter, int seconds, Action<ManualResetEventSlim> load)
    {
        using var stop = new ManualResetEventSlim();
        load(stop);
        var latencies = new List<double>();
        var probe = new Thread(() =>
        {
            var until = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
            for (var i = 0; Stopwatch.GetTimestamp() < until; i++)
            {
                var started = Stopwatch.GetTimestamp();
                adapter.Cache.SetAsync("probe", i).AsTask().Wait();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Thread.Sleep(10);
            }
        }) { IsBackground = true, Name = "probe" };
        probe.Start();
        probe.Join();
        stop.Set();
        Thread.Sleep(200); // let the load's last writes finish before the next scenario
        return latencies;
    }
}
