using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--ratelimit [rounds]`: what one acquisition costs, one caller at a time: the framework's in-memory limiters next to
/// the store-backed ones (<see cref="PersistentRateLimiter"/>) on <c>:memory:</c>, a WAL file (the library's defaults)
/// and, when <c>NAP_BENCH_POSTGRES</c> names a server (as for <see cref="PostgresBenchmarks"/>), PostgreSQL.
/// </summary>
/// <remarks>
/// The granted rows use a budget no run can spend (a limit of <see cref="int.MaxValue"/>, a one-hour period), so every
/// acquisition is granted and each of ours is one read-modify-write of the key's row; the refused row drains a bucket
/// of one token first, so every acquisition is refused (ours still run their transaction, which rewrites the row).
/// Each round runs every cell of a row once, the order rotated round by round, for about <see cref="RoundTime"/> each;
/// the figures are the medians over the rounds of the time and of the bytes allocated (all threads) per acquisition.
/// </remarks>
internal static class RateLimitCosts
{
    private const int DefaultRounds = 7;
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>One acquisition loop: runs n acquisitions.</summary>
    private delegate ValueTask Loop(int n);

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : DefaultRounds;
        await using var bench = await BenchStores.OpenAsync("ratelimit.db");
        var stores = bench.All;
        Console.WriteLine(
            $"rate-limit acquisitions, one caller: median of {rounds} rounds of ~{RoundTime.TotalMilliseconds:0} ms per cell (order rotated each round); " +
            $"µs per acquisition (bytes allocated per acquisition, all threads); {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        bench.ExplainMissingPostgres();

        Console.WriteLine($"{"",-56}{"framework",18}" + string.Concat(stores.Select(s => $"{s.Name,18}")));

        var bucket = new TokenBucketRateLimiterOptions { TokenLimit = int.MaxValue, TokensPerPeriod = 1, ReplenishmentPeriod = Hour, AutoReplenishment = false };
        var fixedWindow = new FixedWindowRateLimiterOptions { PermitLimit = int.MaxValue, Window = Hour, AutoReplenishment = false };
        var slidingWindow = new SlidingWindowRateLimiterOptions { PermitLimit = int.MaxValue, Window = Hour, SegmentsPerWindow = 10, AutoReplenishment = false };
        var single = new TokenBucketRateLimiterOptions { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = Hour, AutoReplenishment = false };

        await RowAsync("token bucket, AttemptAcquire, granted", rounds, stores,
            new TokenBucketRateLimiter(bucket), s => PersistentRateLimiter.CreateTokenBucket(s, "tb-attempt", bucket), Attempt);
        await RowAsync("token bucket, AcquireAsync, granted", rounds, stores,
            new TokenBucketRateLimiter(bucket), s => PersistentRateLimiter.CreateTokenBucket(s, "tb-async", bucket), AcquireAsync);
        await RowAsync("token bucket, AttemptAcquire, refused", rounds, stores,
            Drained(new TokenBucketRateLimiter(single)), s => Drained(PersistentRateLimiter.CreateTokenBucket(s, "tb-refused", single)), Attempt);
        await RowAsync("fixed window, AttemptAcquire, granted", rounds, stores,
            new FixedWindowRateLimiter(fixedWindow), s => PersistentRateLimiter.CreateFixedWindow(s, "fw-attempt", fixedWindow), Attempt);
        await RowAsync("sliding window (10 segments), AttemptAcquire, granted", rounds, stores,
            new SlidingWindowRateLimiter(slidingWindow), s => PersistentRateLimiter.CreateSlidingWindow(s, "sw-attempt", slidingWindow), Attempt);

        foreach (var (_, store) in stores)
        {
            foreach (var key in new[] { "tb-attempt", "tb-async", "tb-refused", "fw-attempt", "sw-attempt" })
            {
                await store.RateLimits.ResetAsync(key);
            }
        }
    }

    private static RateLimiter Drained(RateLimiter limiter)
    {
        using var lease = limiter.AttemptAcquire(1);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException("The refused row's limiter had no token to drain.");
        }

        return limiter;
    }

    private static Loop Attempt(RateLimiter limiter) => n =>
    {
        for (var i = 0; i < n; i++)
        {
            using var lease = limiter.AttemptAcquire(1);
        }

        return ValueTask.CompletedTask;
    };

    private static Loop AcquireAsync(RateLimiter limiter) => async n =>
    {
        for (var i = 0; i < n; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
        }
    };

    /// <summary>One row: the framework's limiter and ours on each store, in rotated rounds; prints the medians.</summary>
    private static async Task RowAsync(
        string name, int rounds, List<(string Name, IPersistenceAdapter Store)> stores, RateLimiter framework,
        Func<IPersistenceAdapter, RateLimiter> ours, Func<RateLimiter, Loop> loop)
    {
        var limiters = new List<RateLimiter> { framework };
        limiters.AddRange(stores.Select(s => ours(s.Store)));
        try
        {
            var loops = limiters.Select(loop).ToArray();
            var ops = new int[loops.Length];
            for (var i = 0; i < loops.Length; i++)
            {
                ops[i] = await CalibrateAsync(loops[i]);
            }

            var times = loops.Select(_ => new List<double>()).ToArray();
            var bytes = loops.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < loops.Length; k++)
                {
                    var i = (k + round) % loops.Length;
                    var (micros, allocated) = await MeasureAsync(loops[i], ops[i]);
                    times[i].Add(micros);
                    bytes[i].Add(allocated);
                }
            }

            // Every cell did what its row says (the limiters' own counts; the refused row's one success is its drain).
            var refusedRow = name.EndsWith("refused", StringComparison.Ordinal);
            for (var i = 0; i < limiters.Count; i++)
            {
                var stats = limiters[i].GetStatistics()!;
                if (refusedRow ? stats.TotalSuccessfulLeases != 1 : stats.TotalFailedLeases != 0)
                {
                    throw new InvalidOperationException($"{name}: cell {i} granted {stats.TotalSuccessfulLeases} and refused {stats.TotalFailedLeases}.");
                }
            }

            Console.WriteLine($"{name,-56}" + string.Concat(times.Zip(bytes, (t, b) => $"{Format(Median(t)) + $" ({Median(b):0} B)",18}")));
        }
        finally
        {
            foreach (var limiter in limiters)
            {
                await limiter.DisposeAsync();
            }
        }
    }

    /// <summary>How many acquisitions fill about <see cref="RoundTime"/>, after a warm-up.</summary>
    private static async Task<int> CalibrateAsync(Loop loop)
    {
        await loop(10);
        var n = 1;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            await loop(n);
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= RoundTime / 4 || n >= 1 << 24)
            {
                return Math.Max(1, (int)Math.Min(1 << 24, n * (RoundTime / elapsed)));
            }

            n *= 4;
        }
    }

    private static async Task<(double Micros, double Bytes)> MeasureAsync(Loop loop, int n)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        await loop(n);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return (elapsed.TotalMicroseconds / n, (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / n);
    }

    private static string Format(double micros) =>
        micros < 1 ? micros.ToString("0.000", CultureInfo.InvariantCulture)
        : micros < 100 ? micros.ToString("0.0", CultureInfo.InvariantCulture)
        : micros.ToString("#,0", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
