using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using NeoSmart.Caching.Sqlite;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--quick`: interleaved A/B rounds of the library against the raw floor in one process, printing the median ns/op
/// and the ratio. Both sides run under the same load, so the ratio is meaningful even on a busy machine, where
/// BenchmarkDotNet's absolute figures are not. Takes a few minutes.
/// </summary>
internal static class QuickRatios
{
    private const int Rounds = 31;
    private const int OpsPerRound = 10_000;

    /// <summary>`--profile [floor-]get-miss|get-hit|set [seconds]`: only the library's op (or the floor's) on `:memory:`, in a loop, for a profiler.</summary>
    public static async Task ProfileAsync(string[] args)
    {
        await using var ours = await SqliteAdapter.OpenAsync(":memory:", new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
        var cache = ours.Cache;
        var direct = (SqliteCacheProvider)cache;
        await cache.SetAsync("user:42", Samples.Small);
        using var floor = new RawFloor<SmallPayload>(":memory:", BenchPayloads.Default.SmallPayload);
        floor.Set("user:42", Samples.Small, Now());

        // An experiment: the floor in a database that also holds every table, index and trigger of the library's schema.
        using var full = new RawFloor<SmallPayload>(":memory:", BenchPayloads.Default.SmallPayload);
        var schemaDir = BenchFiles.NewDirectory();
        await (await SqliteAdapter.OpenAsync(Path.Combine(schemaDir, "schema.db"))).DisposeAsync();
        foreach (var sql in RawFloor<SmallPayload>.SchemaOf(Path.Combine(schemaDir, "schema.db")))
        {
            full.Script(sql);
        }

        BenchFiles.Delete(schemaDir);
        full.Set("user:42", Samples.Small, Now());
        Action op = args[1] switch
        {
            "floor-full-get-miss" => () => _ = full.Get("user:missing", Now()),
            "floor-full-get-hit" => () => _ = full.Get("user:42", Now()),
            "floor-get-hit" => () => _ = floor.Get("user:42", Now()),
            "floor-get-miss" => () => _ = floor.Get("user:missing", Now()),
            "floor-set" => () => floor.Set("user:42", Samples.Small, Now()),
            "get-hit" => () => _ = cache.GetAsync<SmallPayload>("user:42").Result,
            "get-miss" => () => _ = cache.GetAsync<SmallPayload>("user:missing").Result,
            // The same call without the interface's generic virtual dispatch, and also without resolving the type info.
            "get-miss-direct" => () => _ = direct.GetAsync<SmallPayload>("user:missing").Result,
            "get-miss-typeinfo" => () => _ = direct.GetAsync("user:missing", BenchPayloads.Default.SmallPayload).Result,
            _ => () => cache.SetAsync("user:42", Samples.Small).GetAwaiter().GetResult(),
        };
        var seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var begun = Stopwatch.GetTimestamp();
        long n = 0;
        while (Stopwatch.GetElapsedTime(begun).TotalSeconds < seconds)
        {
            Time(op);
            n += OpsPerRound;
        }

        Console.WriteLine($"{args[1]}: {Stopwatch.GetElapsedTime(begun).TotalNanoseconds / n:0} ns/op");
    }

    /// <summary>
    /// `--icount op floorOps oursOps`: runs op on `:memory:` floorOps times on the floor and oursOps times on the library
    /// (after a warm-up), for an instruction count under valgrind: the difference between two runs that differ in one
    /// count, divided by that difference, is the instructions per op, independent of machine load.
    /// </summary>
    public static async Task InstructionCountAsync(string[] args)
    {
        await using var ours = await SqliteAdapter.OpenAsync(":memory:", new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
        using var floor = new RawFloor<SmallPayload>(":memory:", BenchPayloads.Default.SmallPayload);
        var cache = ours.Cache;
        var direct = (SqliteCacheProvider)cache;
        var info = BenchPayloads.Default.SmallPayload;
        floor.Set("user:42", Samples.Small, Now());
        await cache.SetAsync("user:42", Samples.Small);
        (Action Floor, Action Ours) op = args[1] switch
        {
            "get-hit" => (() => floor.Get("user:42", Now()), () => _ = cache.GetAsync<SmallPayload>("user:42").Result),
            "get-miss" => (() => floor.Get("user:missing", Now()), () => _ = cache.GetAsync<SmallPayload>("user:missing").Result),
            // The same call without the interface's generic virtual dispatch, and also without resolving the type info.
            "get-miss-direct" => (() => floor.Get("user:missing", Now()), () => _ = direct.GetAsync<SmallPayload>("user:missing").Result),
            "get-miss-typeinfo" => (() => floor.Get("user:missing", Now()), () => _ = direct.GetAsync("user:missing", info).Result),
            _ => (() => floor.Set("user:42", Samples.Small, Now()), () => cache.SetAsync("user:42", Samples.Small).GetAwaiter().GetResult()),
        };
        Time(op.Floor, 500);
        Time(op.Ours, 500);
        Time(op.Floor, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        Time(op.Ours, int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static async Task RunAsync()
    {
        Console.WriteLine($"median ns/op of {Rounds} paired rounds (order rotated each round); ratios are medians of the per-round ratios");
        foreach (var store in new[] { Store.Memory, Store.WalFile })
        {
            var dir = BenchFiles.NewDirectory();
            try
            {
                string PathOf(string name) => store == Store.Memory ? ":memory:" : Path.Combine(dir, name);
                await using var ours = await SqliteAdapter.OpenAsync(PathOf("ours.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
                using var floor = new RawFloor<SmallPayload>(PathOf("floor.db"), BenchPayloads.Default.SmallPayload);
                using var mds = new MdsCache<SmallPayload>(PathOf("mds.db"), BenchJsonContext.Default.SmallPayload);
                using var neo = new SqliteCache(Options.Create(new SqliteCacheOptions { MemoryOnly = store == Store.Memory, CachePath = Path.Combine(dir, "neo.db") }));
                var stj = BenchJsonContext.Default.SmallPayload;
                floor.Set("user:42", Samples.Small, Now());
                await ours.Cache.SetAsync("user:42", Samples.Small);
                mds.Set("user:42", Samples.Small, Now());
                neo.Set("user:42", JsonSerializer.SerializeToUtf8Bytes(Samples.Small, stj), NoExpiry);
                var cache = ours.Cache;
                var direct = (SqliteCacheProvider)cache;

                // The floor takes the same string keys and encodes them each call, as the library must. "direct" is the
                // same get called on the provider's class: without the interface's generic virtual dispatch, which the
                // public API (a generic method of ICacheProvider) costs every caller and no floor pays.
                Compare(
                    $"{store} get-hit",
                    () => floor.Get("user:42", Now()),
                    () => _ = cache.GetAsync<SmallPayload>("user:42").Result,
                    () => mds.Get("user:42", Now()),
                    () => _ = neo.Get("user:42") is { } b ? JsonSerializer.Deserialize(b, stj) : null,
                    () => _ = direct.GetAsync<SmallPayload>("user:42").Result);
                Compare(
                    $"{store} get-miss",
                    () => floor.Get("user:missing", Now()),
                    () => _ = cache.GetAsync<SmallPayload>("user:missing").Result,
                    () => mds.Get("user:missing", Now()),
                    () => _ = neo.Get("user:missing") is { } b ? JsonSerializer.Deserialize(b, stj) : null,
                    () => _ = direct.GetAsync<SmallPayload>("user:missing").Result);
                Compare(
                    $"{store} set",
                    () => floor.Set("user:42", Samples.Small, Now()),
                    () => cache.SetAsync("user:42", Samples.Small).GetAwaiter().GetResult(),
                    () => mds.Set("user:42", Samples.Small, Now()),
                    () => neo.Set("user:42", JsonSerializer.SerializeToUtf8Bytes(Samples.Small, stj), NoExpiry));
            }
            finally
            {
                BenchFiles.Delete(dir);
            }
        }

        var exclusiveDir = BenchFiles.NewDirectory();
        try
        {
            await using var ours = await SqliteAdapter.OpenAsync(
                Path.Combine(exclusiveDir, "ours.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default }, new SqliteOpenOptions { Exclusive = true });
            using var floor = new RawFloor<SmallPayload>(Path.Combine(exclusiveDir, "floor.db"), BenchPayloads.Default.SmallPayload, exclusive: true);
            floor.Set("user:42", Samples.Small, Now());
            await ours.Cache.SetAsync("user:42", Samples.Small);
            var cache = ours.Cache;
            Compare("Exclusive get-hit", () => floor.Get("user:42", Now()), () => _ = cache.GetAsync<SmallPayload>("user:42").Result);
            Compare("Exclusive set", () => floor.Set("user:42", Samples.Small, Now()), () => cache.SetAsync("user:42", Samples.Small).GetAwaiter().GetResult());
        }
        finally
        {
            BenchFiles.Delete(exclusiveDir);
        }
    }

    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Floor and ours (and optionally Microsoft.Data.Sqlite and NeoSmart) in paired rounds.</summary>
    private static void Compare(string name, Action floor, Action ours, Action? mds = null, Action? neo = null, Action? direct = null)
    {
        var sides = new List<(Action Op, int Ops)> { (floor, OpsPerRound), (ours, OpsPerRound) };
        if (mds is not null)
        {
            sides.Add((mds, OpsPerRound));
        }

        if (neo is not null)
        {
            sides.Add((neo, OpsPerRound / 20));
        }

        if (direct is not null)
        {
            sides.Add((direct, OpsPerRound));
        }

        var times = sides.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < Rounds; round++)
        {
            // Rotate the order so no side always runs right after another's garbage or cache effects.
            for (var k = 0; k < sides.Count; k++)
            {
                var i = (k + round) % sides.Count;
                times[i].Add(Time(sides[i].Op, sides[i].Ops));
            }
        }

        var ratioToFloor = times[1].Zip(times[0], (o, f) => o / f).ToList();
        var line = $"{name,-18} floor {Median(times[0]),7:0}  ours {Median(times[1]),7:0} = {Median(ratioToFloor):0.00}x floor";
        if (mds is not null)
        {
            line += $"   MDS {Median(times[2]),7:0} = ours {Median(times[2].Zip(times[1], (m, o) => m / o).ToList()):0.00}x faster (floor {Median(times[2].Zip(times[0], (m, f) => m / f).ToList()):0.00}x)";
        }

        if (neo is not null)
        {
            line += $"   NeoSmart {Median(times[3]),7:0} = ours {Median(times[3].Zip(times[1], (n, o) => n / o).ToList()):0.00}x faster";
        }

        if (direct is not null)
        {
            var d = sides.Count - 1;
            line += $"   direct {Median(times[d]),7:0} = {Median(times[d].Zip(times[0], (o, f) => o / f).ToList()):0.00}x floor";
        }

        Console.WriteLine(line);
    }

    private static double Time(Action action, int ops = OpsPerRound)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < ops; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / ops;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
