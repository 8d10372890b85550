using System.Diagnostics;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--scaling`: what limits read scaling. Each configuration runs on dedicated threads (no thread pool) for a fixed
/// time, once with one thread and once with two, in interleaved rounds; prints the median ops/s and the median of the
/// per-round 2-thread/1-thread ratios. The controls tell the causes apart: pure computation (does the VM give two
/// cores?), the floor on private `:memory:` databases (SQLite without file locks), the floor on one WAL file with a
/// connection per thread (the physical floor), on two WAL files (no shared inode or shm locks), in two processes
/// (no process-wide VFS mutex), and the library itself. `--scaling [rounds] [threads]` compares 1 thread with many.
/// </summary>
internal static class Scaling
{
    private const int Rounds = 9;
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(400);

    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Rounds;
        if (args.Length > 2)
        {
            Many(rounds, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        var dir = BenchFiles.NewDirectory();
        try
        {
            var shared = Path.Combine(dir, "shared.db");
            var other = Path.Combine(dir, "other.db");
            using var setup = new RawFloor<SmallPayload>(shared, BenchPayloads.Default.SmallPayload);
            using var setupOther = new RawFloor<SmallPayload>(other, BenchPayloads.Default.SmallPayload);
            var key = RawFloor<SmallPayload>.Key("cache:user:42");
            setup.Set(key, Samples.Small, Now());
            setupOther.Set(key, Samples.Small, Now());

            var memory = new[] { Memory(), Memory() };
            var sameFile = new[] { Reader(shared), Reader(shared) };
            var twoFiles = new[] { Reader(shared), Reader(other) };
            var exclusive = Reader(Path.Combine(dir, "exclusive.db"), exclusive: true);
            exclusive.Set(key, Samples.Small, Now());
            using var ours = SqliteAdapter.OpenAsync(Path.Combine(dir, "ours.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default }).AsTask().GetAwaiter().GetResult();
            ours.Cache.SetAsync("user:42", Samples.Small).AsTask().GetAwaiter().GetResult();
            var cache = ours.Cache;

            var configs = new (string Name, Func<int, Action> Op)[]
            {
                ("spin (CPU only)", _ => Spin),
                ("floor :memory: (own db each)", t => () => _ = memory[t].Get(key, Now())),
                ("floor WAL, one file, conn each", t => () => _ = sameFile[t].Get(key, Now())),
                ("floor WAL, a file each", t => () => _ = twoFiles[t].Get(key, Now())),
                ("ours WAL (sync, 2 readers)", u => () => _ = (object?)cache.GetAsync<SmallPayload>("user:42").Result),
            };

            // SCALING_ONLY=<index> runs one configuration, two threads only (for perf/strace).
            if (Environment.GetEnvironmentVariable("SCALING_ONLY") is { } only)
            {
                var chosen = configs[int.Parse(only, System.Globalization.CultureInfo.InvariantCulture)];
                var threads = int.Parse(Environment.GetEnvironmentVariable("SCALING_THREADS") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
                for (var r = 0; r < rounds; r++)
                {
                    Console.WriteLine($"{chosen.Name} {threads} threads {Measure(threads, chosen.Op):N0} ops/s");
                }

                return;
            }

            var results = configs.Select(_ => (One: new List<double>(), Two: new List<double>(), Ratio: new List<double>())).ToArray();
            var processOne = new List<double>();
            var processTwo = new List<double>();
            var processRatio = new List<double>();
            var exclusiveNs = new List<double>();
            var sharedNs = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                for (var c = 0; c < configs.Length; c++)
                {
                    // Alternate which thread count goes first.
                    double one, two;
                    if (round % 2 == 0)
                    {
                        one = Measure(1, configs[c].Op);
                        two = Measure(2, configs[c].Op);
                    }
                    else
                    {
                        two = Measure(2, configs[c].Op);
                        one = Measure(1, configs[c].Op);
                    }

                    results[c].One.Add(one);
                    results[c].Two.Add(two);
                    results[c].Ratio.Add(two / one);
                }

                var p1 = Processes(1, shared);
                var p2 = Processes(2, shared);
                processOne.Add(p1);
                processTwo.Add(p2);
                processRatio.Add(p2 / p1);
                exclusiveNs.Add(1e9 / Measure(1, u => () => _ = exclusive.Get(key, Now())));
                sharedNs.Add(1e9 / Measure(1, u => () => _ = sameFile[0].Get(key, Now())));
            }

            Console.WriteLine($"read scaling, get-hit ops/s, median of {rounds} interleaved rounds of {RoundTime.TotalMilliseconds} ms (min-max of the ratio)");
            for (var c = 0; c < configs.Length; c++)
            {
                Print(configs[c].Name, results[c].One, results[c].Two, results[c].Ratio);
            }

            Print("floor WAL, two processes", processOne, processTwo, processRatio);
            Console.WriteLine($"floor WAL one thread: shared locking {Median(sharedNs):0} ns/get, locking_mode=EXCLUSIVE {Median(exclusiveNs):0} ns/get");
            foreach (var f in memory.Concat(sameFile).Concat(twoFiles))
            {
                f.Dispose();
            }

            exclusive.Dispose();
        }
        finally
        {
            BenchFiles.Delete(dir);
        }
    }

    /// <summary>`--scaling-child path startTicksUtc durationMs`: one process's floor reads, printing the count.</summary>
    public static void Child(string[] args)
    {
        using var floor = Reader(args[1]);
        var key = RawFloor<SmallPayload>.Key("cache:user:42");
        var start = new DateTime(long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
        var duration = TimeSpan.FromMilliseconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        for (var i = 0; i < 1000; i++)
        {
            floor.Get(key, Now());
        }

        while (DateTime.UtcNow < start)
        {
            Thread.SpinWait(100);
        }

        long ops = 0;
        var begun = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(begun) < duration)
        {
            for (var i = 0; i < 64; i++)
            {
                floor.Get(key, Now());
            }

            ops += 64;
        }

        Console.WriteLine((ops / Stopwatch.GetElapsedTime(begun).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static double Processes(int count, string path)
    {
        // Children start up (JIT, open) before the agreed start time, then run for the same window.
        var start = DateTime.UtcNow.AddMilliseconds(1500).Ticks;
        // The children are this program again: `dotnet bench.dll` starts them as `dotnet bench.dll --scaling-child ...`, the
        // apphost or a published (NativeAOT) binary as itself.
        var host = Environment.ProcessPath!;
        var viaDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var processes = Enumerable.Range(0, count).Select(_ =>
        {
            var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
            if (viaDotnet)
            {
                info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(Scaling).Assembly.GetName().Name + ".dll"));
            }

            foreach (var a in new[] { "--scaling-child", path, start.ToString(System.Globalization.CultureInfo.InvariantCulture), RoundTime.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(a);
            }

            return Process.Start(info)!;
        }).ToList();
        var total = 0.0;
        foreach (var p in processes)
        {
            total += double.Parse(p.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
            p.WaitForExit();
            p.Dispose();
        }

        return total;
    }

    private static double Measure(int threads, Func<int, Action> op)
    {
        var counts = new long[threads * 16];
        using var ready = new Barrier(threads + 1);
        var stop = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var action = op(t);
            for (var i = 0; i < 200; i++)
            {
                action();
            }

            ready.SignalAndWait();
            long n = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                for (var i = 0; i < 32; i++)
                {
                    action();
                }

                n += 32;
            }

            counts[t * 16] = n;
        })).ToList();
        workers.ForEach(w => w.Start());
        ready.SignalAndWait();
        var begun = Stopwatch.GetTimestamp();
        Thread.Sleep(RoundTime);
        Volatile.Write(ref stop, 1);
        workers.ForEach(w => w.Join());
        var elapsed = Stopwatch.GetElapsedTime(begun).TotalSeconds;
        return counts.Sum() / elapsed;
    }

    /// <summary>
    /// `--scaling [rounds] [threads]`: reads on many cores, 1 thread against <paramref name="threads"/> on one WAL file: the
    /// floor with a connection per thread, the library with as many reader connections as threads, and with 2 (the default
    /// before it followed the processor count).
    /// </summary>
    private static void Many(int rounds, int threads)
    {
        var dir = BenchFiles.NewDirectory();
        try
        {
            var path = Path.Combine(dir, "shared.db");
            using (var setup = new RawFloor<SmallPayload>(path, BenchPayloads.Default.SmallPayload))
            {
                setup.Set("user:42", Samples.Small, Now());
            }

            var floors = Enumerable.Range(0, threads).Select(_ => Reader(path)).ToArray();
            SqliteAdapter Open(string name, int readers)
            {
                var adapter = SqliteAdapter.OpenAsync(Path.Combine(dir, name), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default }, new SqliteOpenOptions { ReaderConnections = readers })
                    .AsTask().GetAwaiter().GetResult();
                adapter.Cache.SetAsync("user:42", Samples.Small).AsTask().GetAwaiter().GetResult();
                return adapter;
            }

            using var perThread = Open("ours.db", threads);
            using var two = Open("ours-2.db", 2);
            var configs = new (string Name, Func<int, Action> Op)[]
            {
                ("spin (CPU only)", _ => Spin),
                ("floor WAL, one file, conn each", t => () => _ = floors[t].Get("user:42", Now())),
                ($"ours WAL, {threads} readers", u => () => _ = (object?)perThread.Cache.GetAsync<SmallPayload>("user:42").Result),
                ("ours WAL, 2 readers", u => () => _ = (object?)two.Cache.GetAsync<SmallPayload>("user:42").Result),
            };
            var results = configs.Select(_ => (One: new List<double>(), Many: new List<double>(), Ratio: new List<double>())).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var c = 0; c < configs.Length; c++)
                {
                    var first = round % 2 == 0;
                    var a = Measure(first ? 1 : threads, configs[c].Op);
                    var b = Measure(first ? threads : 1, configs[c].Op);
                    var (one, many) = first ? (a, b) : (b, a);
                    results[c].One.Add(one);
                    results[c].Many.Add(many);
                    results[c].Ratio.Add(many / one);
                }
            }

            Console.WriteLine($"read scaling on one WAL file, get-hit ops/s, 1 thread against {threads}, median of {rounds} interleaved rounds of {RoundTime.TotalMilliseconds} ms (min-max of the ratio); {Environment.ProcessorCount} cores");
            for (var c = 0; c < configs.Length; c++)
            {
                var r = results[c];
                Console.WriteLine($"{configs[c].Name,-32} 1 thread {Median(r.One),10:N0}   {threads} threads {Median(r.Many),11:N0}   {threads}/1 {Median(r.Ratio):0.00} ({r.Ratio.Min():0.00}-{r.Ratio.Max():0.00})");
            }

            foreach (var f in floors)
            {
                f.Dispose();
            }
        }
        finally
        {
            BenchFiles.Delete(dir);
        }
    }

    private static void Print(string name, List<double> one, List<double> two, List<double> ratio) =>
        Console.WriteLine($"{name,-32} 1 thread {Median(one),10:N0}   2 threads {Median(two),10:N0}   2/1 {Median(ratio):0.00} ({ratio.Min():0.00}-{ratio.Max():0.00})");

    private static int s_sink;

    private static void Spin()
    {
        var x = s_sink;
        for (var i = 0; i < 200; i++)
        {
            x = (x * 1103515245) + 12345;
        }

        if (x == 42)
        {
            s_sink = x;
        }
    }

    private static RawFloor<SmallPayload> Memory()
    {
        var f = new RawFloor<SmallPayload>(":memory:", BenchPayloads.Default.SmallPayload);
        f.Set(RawFloor<SmallPayload>.Key("cache:user:42"), Samples.Small, Now());
        return f;
    }

    private static RawFloor<SmallPayload> Reader(string path, bool exclusive = false) =>
        new(path, BenchPayloads.Default.SmallPayload, exclusive);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
