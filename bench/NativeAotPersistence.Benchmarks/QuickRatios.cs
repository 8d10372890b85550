using System.Diagnostics;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--quick`: interleaved A/B rounds of the library against the raw floor in one process, printing the median ns/op
/// and the ratio. Both sides run under the same load, so the ratio is meaningful even on a busy machine, where
/// BenchmarkDotNet's absolute figures are not. Takes about half a minute.
/// </summary>
internal static class QuickRatios
{
    private const int Rounds = 31;
    private const int OpsPerRound = 20_000;

    public static async Task RunAsync()
    {
        foreach (var store in new[] { Store.Memory, Store.WalFile })
        {
            var dir = BenchFiles.NewDirectory();
            try
            {
                string PathOf(string name) => store == Store.Memory ? ":memory:" : Path.Combine(dir, name);
                await using var ours = await SqliteAdapter.OpenAsync(PathOf("ours.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
                using var floor = new RawFloor<SmallPayload>(PathOf("floor.db"), BenchPayloads.Default.SmallPayload);
                var hit = RawFloor<SmallPayload>.Key("cache:user:42");
                var miss = RawFloor<SmallPayload>.Key("cache:user:missing");
                floor.Set(hit, Samples.Small, Now());
                await ours.Cache.SetAsync("user:42", Samples.Small);
                var cache = ours.Cache;

                Compare($"{store} get-hit", () => floor.Get(hit, Now()), () => _ = cache.GetAsync<SmallPayload>("user:42").Result);
                Compare($"{store} get-miss", () => floor.Get(miss, Now()), () => _ = cache.GetAsync<SmallPayload>("user:missing").Result);
                Compare($"{store} set", () => floor.Set(hit, Samples.Small, Now()), () => cache.SetAsync("user:42", Samples.Small).GetAwaiter().GetResult());
            }
            finally
            {
                BenchFiles.Delete(dir);
            }
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static void Compare(string name, Action floor, Action ours)
    {
        var floorTimes = new List<double>();
        var oursTimes = new List<double>();
        var ratios = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            // Alternate the order so neither side always runs right after the other's garbage or cache effects.
            double f, o;
            if (round % 2 == 0)
            {
                f = Time(floor);
                o = Time(ours);
            }
            else
            {
                o = Time(ours);
                f = Time(floor);
            }

            floorTimes.Add(f);
            oursTimes.Add(o);
            ratios.Add(o / f);
        }

        Console.WriteLine($"{name,-18} floor {Median(floorTimes),8:0} ns   ours {Median(oursTimes),8:0} ns   ratio {Median(ratios):0.00} (median of {Rounds} paired rounds)");
    }

    private static double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < OpsPerRound; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / OpsPerRound;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
