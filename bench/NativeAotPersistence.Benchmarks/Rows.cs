using System.Diagnostics;
using System.Globalization;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--rows [count]`: the cost as the work grows, on a WAL file (durability Normal, the default): a batched load against the
/// floor batching the same rows per transaction, one commit per write, a fill to <c>count</c> rows (1,000,000 by default),
/// random gets at 10,000 and at <c>count</c> rows, listing every key, prune of the expired half and a refill, and what
/// <see cref="IPersistenceAdmin.CompactAsync"/> gives back. Prints one line per figure; takes about a minute on a quiet machine.
/// </summary>
internal static class Rows
{
    private const int Batch = 32;
    private const int Rounds = 15;
    private const int BatchesPerRound = 100;

    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var dir = BenchFiles.NewDirectory();
        try
        {
            Console.WriteLine($"--rows {count:N0}: WAL files in {dir}, ~200-byte payloads, durability Normal; {Environment.ProcessorCount} cores, {(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}");
            var info = BenchPayloads.Default.SmallPayload;
            var options = new PersistenceAdapterOptions { Payloads = BenchPayloads.Default };
            await using var ours = await SqliteAdapter.OpenAsync(Path.Combine(dir, "ours.db"), options);
            using var floor = new RawFloor<SmallPayload>(Path.Combine(dir, "floor.db"), info);
            await LoadAsync(ours.Cache, floor);
            await OneCommitPerWriteAsync(ours.Cache, floor);
            await ours.Cache.ClearAsync();
            floor.Clear();

            // The fill: SetManyAsync in batches of 1,000 (what a loader would use); the floor likewise.
            var fillFloor = Fill(count, (keys, _) => floor.SetBatch(keys, Samples.Small, Now()));
            var fillOurs = await FillAsync(count, ours.Cache);
            Console.WriteLine($"fill to {count:N0} rows in batches of 1,000: floor {fillFloor.TotalSeconds:0.0} s ({fillFloor.TotalMicroseconds / count:0.00} µs/row), ours {fillOurs.TotalSeconds:0.0} s ({fillOurs.TotalMicroseconds / count:0.00} µs/row), ratio {fillOurs / fillFloor:0.00}");
            Console.WriteLine($"store on disk (file and WAL): {MiB(Path.Combine(dir, "ours.db"))} (floor {MiB(Path.Combine(dir, "floor.db"))})");

            // Gets of random keys: the same op on 10,000 rows and on `count` rows.
            await using (var small = await SqliteAdapter.OpenAsync(Path.Combine(dir, "small.db"), options))
            using (var smallFloor = new RawFloor<SmallPayload>(Path.Combine(dir, "small-floor.db"), info))
            {
                Fill(10_000, (keys, _) => smallFloor.SetBatch(keys, Samples.Small, Now()));
                await FillAsync(10_000, small.Cache);
                var (f10k, o10k) = await GetsAsync(small.Cache, smallFloor, 10_000);
                var (fAll, oAll) = await GetsAsync(ours.Cache, floor, count);
                Console.WriteLine($"get hit of a random key, µs: 10,000 rows floor {f10k:0.00} ours {o10k:0.00} (ratio {o10k / f10k:0.00}); {count:N0} rows floor {fAll:0.00} ours {oAll:0.00} (ratio {oAll / fAll:0.00})");
            }

            var listed = Stopwatch.StartNew();
            var keys = await ours.Cache.KeysAsync("*");
            Console.WriteLine($"KeysAsync(\"*\") returned {keys.Count:N0} keys in {listed.ElapsedMilliseconds:N0} ms");

            await ExpireAndRefillAsync(dir, count, options);
        }
        finally
        {
            BenchFiles.Delete(dir);
        }
    }

    /// <summary>The loader: paired rounds of the floor's batches of 32 against SetManyAsync's, fresh keys each round.</summary>
    private static async Task LoadAsync(ICacheProvider cache, RawFloor<SmallPayload> floor)
    {
        var floorUs = new List<double>();
        var oursUs = new List<double>();
        var ratios = new List<double>();
        var entries = new KeyValuePair<string, SmallPayload>[Batch];
        var floorKeys = new string[Batch];
        for (var round = 0; round < Rounds + 2; round++)
        {
            var f = TimeSpan.Zero;
            var o = TimeSpan.Zero;
            for (var b = 0; b < BatchesPerRound; b++)
            {
                for (var i = 0; i < Batch; i++)
                {
                    var key = $"load:{round}:{b}:{i}";
                    entries[i] = KeyValuePair.Create(key, Samples.Small);
                    floorKeys[i] = key; // encoded by the floor in the timed part, as the library encodes its keys
                }

                // Alternate which goes first, so neither always finds the other's checkpoint work pending.
                if ((round + b) % 2 == 0)
                {
                    f += TimeFloor(floor, floorKeys);
                    o += await TimeOursAsync(cache, entries);
                }
                else
                {
                    o += await TimeOursAsync(cache, entries);
                    f += TimeFloor(floor, floorKeys);
                }
            }

            if (round < 2)
            {
                continue; // warm-up
            }

            var rows = (double)Batch * BatchesPerRound;
            floorUs.Add(f.TotalMicroseconds / rows);
            oursUs.Add(o.TotalMicroseconds / rows);
            ratios.Add(o / f);
        }

        Console.WriteLine($"load in batches of {Batch} rows per transaction, µs/row (median of {Rounds} paired rounds of {Batch * BatchesPerRound:N0} rows): floor {Median(floorUs):0.00}, ours SetManyAsync {Median(oursUs):0.00}, ratio {Median(ratios):0.00}");

        static TimeSpan TimeFloor(RawFloor<SmallPayload> floor, string[] keys)
        {
            var started = Stopwatch.GetTimestamp();
            floor.SetBatch(keys, Samples.Small, Now());
            return Stopwatch.GetElapsedTime(started);
        }

        static async ValueTask<TimeSpan> TimeOursAsync(ICacheProvider cache, KeyValuePair<string, SmallPayload>[] entries)
        {
            var started = Stopwatch.GetTimestamp();
            await cache.SetManyAsync(entries);
            return Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>What a loader pays without a batch: one transaction, so one commit, per write.</summary>
    private static async Task OneCommitPerWriteAsync(ICacheProvider cache, RawFloor<SmallPayload> floor)
    {
        const int n = 3_000;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            floor.Set($"single:{i}", Samples.Small, Now());
        }

        var f = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            await cache.SetAsync($"single:{i}", Samples.Small);
        }

        var o = Stopwatch.GetElapsedTime(started);
        Console.WriteLine($"load one commit per write, µs/row ({n:N0} rows): floor {f.TotalMicroseconds / n:0.00}, ours SetAsync {o.TotalMicroseconds / n:0.00}");
    }

    private static TimeSpan Fill(int count, Action<string[], int> batch)
    {
        var started = Stopwatch.GetTimestamp();
        for (var from = 0; from < count; from += 1_000)
        {
            var keys = new string[Math.Min(1_000, count - from)];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = RowKey(from + i);
            }

            batch(keys, from);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    private static async Task<TimeSpan> FillAsync(int count, ICacheProvider cache, string prefix = "", TimeSpan? ttl = null, int first = 0)
    {
        var started = Stopwatch.GetTimestamp();
        for (var from = first; from < first + count; from += 1_000)
        {
            var size = Math.Min(1_000, first + count - from);
            await cache.SetManyAsync(Enumerable.Range(from, size).Select(i => KeyValuePair.Create(prefix + RowKey(i), Samples.Small)), ttl);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    private static string RowKey(int i) => "row:" + i.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Median µs per get of a random existing key, over 200,000 gets each, interleaved in blocks of 10,000.</summary>
    private static async Task<(double Floor, double Ours)> GetsAsync(ICacheProvider cache, RawFloor<SmallPayload> floor, int rows)
    {
        var random = new Random(27);
        var floorBlocks = new List<double>();
        var oursBlocks = new List<double>();
        for (var block = 0; block < 20; block++)
        {
            var ids = Enumerable.Range(0, 10_000).Select(_ => random.Next(rows)).ToArray();
            var oursKeys = ids.Select(RowKey).ToArray();
            var floorKeys = oursKeys; // the same strings, encoded by each side in its timed loop
            var started = Stopwatch.GetTimestamp();
            foreach (var key in floorKeys)
            {
                _ = floor.Get(key, Now()) ?? throw new InvalidOperationException("floor miss");
            }

            floorBlocks.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds / ids.Length);
            started = Stopwatch.GetTimestamp();
            foreach (var key in oursKeys)
            {
                _ = await cache.GetAsync<SmallPayload>(key) ?? throw new InvalidOperationException("miss");
            }

            oursBlocks.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds / ids.Length);
        }

        return (Median(floorBlocks), Median(oursBlocks));
    }

    /// <summary>Half the rows expire; prune removes them; a refill of as many new keys reuses the freed pages.</summary>
    private static async Task ExpireAndRefillAsync(string dir, int count, PersistenceAdapterOptions options)
    {
        var path = Path.Combine(dir, "expire.db");
        var time = new ManualClock();
        var half = count / 2;

        // Closing the adapter checkpoints the WAL into the file and removes it: the sizes are the database's own.
        await using (var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { Payloads = options.Payloads, TimeProvider = time }))
        {
            await FillAsync(half, adapter.Cache, "keep:");
            await FillAsync(half, adapter.Cache, "brief:", TimeSpan.FromMinutes(1));
        }

        var full = Bytes(path);
        TimeSpan pruneTime;
        PruneResult pruned;
        await using (var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { Payloads = options.Payloads, TimeProvider = time }))
        {
            time.Advance(TimeSpan.FromMinutes(2));
            var started = Stopwatch.GetTimestamp();
            pruned = await adapter.PruneAsync();
            pruneTime = Stopwatch.GetElapsedTime(started);
            await FillAsync(half, adapter.Cache, "again:");
        }

        var refilled = Bytes(path);
        Console.WriteLine($"{count:N0} rows, half expired: prune removed {pruned.Cache:N0} in {pruneTime.TotalMilliseconds:N0} ms; file {full / 1048576.0:0.0} MiB before, {refilled / 1048576.0:0.0} MiB after a refill of {half:N0} new keys ({(refilled - full) * 100.0 / full:+0.0;-0.0} %)");

        // The same again without the refill: the freed half given back to the file system.
        var compactPath = Path.Combine(dir, "compact.db");
        await using (var adapter = await SqliteAdapter.OpenAsync(compactPath, new PersistenceAdapterOptions { Payloads = options.Payloads, TimeProvider = time }))
        {
            await FillAsync(half, adapter.Cache, "keep:");
            await FillAsync(half, adapter.Cache, "brief:", TimeSpan.FromMinutes(1));
            time.Advance(TimeSpan.FromMinutes(2));
            await adapter.PruneAsync();
            var compacted = await adapter.Admin.CompactAsync();
            Console.WriteLine($"Admin.CompactAsync after pruning half of {count:N0} rows: {compacted.SizeBefore / 1048576.0:0.0} MiB to {compacted.SizeAfter / 1048576.0:0.0} MiB (file and WAL) in {compacted.Elapsed.TotalMilliseconds:N0} ms{(compacted.IsComplete ? "" : " (incomplete)")}");
        }
    }

    private static string MiB(string path) => $"{Bytes(path) / 1048576.0:0.0} MiB";

    /// <summary>The database file and its WAL together: what the store takes on disk.</summary>
    private static long Bytes(string path) => new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A clock the expiry step moves forward by hand (the rows' TTLs pass without waiting).</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _offsetTicks;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
    }
}
