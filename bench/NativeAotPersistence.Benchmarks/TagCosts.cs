using System.Diagnostics;
using System.Globalization;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--tags [rounds]`: what cache tags cost, one caller at a time, on <c>:memory:</c>, a WAL file (the library's defaults)
/// and, when <c>NAP_BENCH_POSTGRES</c> names a server (as for <see cref="PostgresBenchmarks"/>), PostgreSQL: a set with
/// no tags and with two (changing them with every overwrite), a get of a tagged entry, and <c>RemoveByTagAsync</c> of 1,000 entries among 10,000.
/// </summary>
/// <remarks>Each figure is the median over the rounds; the set and get rows run 2,000 operations per round.</remarks>
internal static class TagCosts
{
    private const int DefaultRounds = 7;
    private const int Operations = 2_000;
    private const int Tagged = 1_000;
    private const int Others = 9_000;

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : DefaultRounds;
        await using var bench = await BenchStores.OpenAsync("tags.db");
        var stores = bench.All;
        Console.WriteLine($"cache tags, one caller: median of {rounds} rounds; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        bench.ExplainMissingPostgres();

        Console.WriteLine($"{"",-52}" + string.Concat(stores.Select(s => $"{s.Name,14}")));
        var plain = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
        var tagged = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), Tags = ["tenant:7", "catalog"] };

        // Two tag sets in turn, so that every overwrite changes the tags (SQLite: the trigger rewrites the index rows).
        var retagged = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), Tags = ["tenant:8", "catalog"] };
        await RowAsync("set, no tags (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.SetAsync("plain:" + (i % 100).ToString(CultureInfo.InvariantCulture), i, plain);
            }

            return Operations;
        });
        await RowAsync("set, two tags, the same each time (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.SetAsync("same:" + (i % 100).ToString(CultureInfo.InvariantCulture), i, tagged);
            }

            return Operations;
        });
        await RowAsync("set, two tags, changed each time (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.SetAsync("tagged:" + (i % 100).ToString(CultureInfo.InvariantCulture), i, (i / 100) % 2 == 0 ? tagged : retagged);
            }

            return Operations;
        });
        await RowAsync("get of a tagged entry (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.GetAsync<int>("tagged:" + (i % 100).ToString(CultureInfo.InvariantCulture));
            }

            return Operations;
        });
        await RowAsync($"RemoveByTag of {Tagged:N0} of {Tagged + Others:N0} entries (ms)", rounds, stores, async s =>
        {
            await s.Cache.ClearAsync();
            for (var i = 0; i < Tagged + Others; i++)
            {
                await s.Cache.SetAsync("row:" + i.ToString(CultureInfo.InvariantCulture), i, i % 10 == 0 ? tagged : plain);
            }

            return 0;
        }, async s =>
        {
            var removed = await s.Cache.RemoveByTagAsync("catalog");
            if (removed != Tagged)
            {
                throw new InvalidOperationException($"RemoveByTag removed {removed} entries, not {Tagged}.");
            }
        });
    }

    /// <summary>One row of per-operation figures: each round times <paramref name="run"/> (which returns its operation count).</summary>
    internal static async Task RowAsync(string name, int rounds, List<(string Name, IPersistenceAdapter Store)> stores, Func<IPersistenceAdapter, Task<int>> run)
    {
        var cells = new List<string>();
        foreach (var (_, store) in stores)
        {
            await run(store); // warm-up
            var samples = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                var started = Stopwatch.GetTimestamp();
                var n = await run(store);
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds / n);
            }

            cells.Add(Median(samples).ToString("0.00", CultureInfo.InvariantCulture));
        }

        Console.WriteLine($"{name,-52}" + string.Concat(cells.Select(c => $"{c,14}")));
    }

    /// <summary>One row of a timed step after an untimed setup, in milliseconds.</summary>
    private static async Task RowAsync(string name, int rounds, List<(string Name, IPersistenceAdapter Store)> stores, Func<IPersistenceAdapter, Task<int>> setup, Func<IPersistenceAdapter, Task> timed)
    {
        var cells = new List<string>();
        foreach (var (_, store) in stores)
        {
            var samples = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                await setup(store);
                var started = Stopwatch.GetTimestamp();
                await timed(store);
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            cells.Add(Median(samples).ToString("0.00", CultureInfo.InvariantCulture));
        }

        Console.WriteLine($"{name,-52}" + string.Concat(cells.Select(c => $"{c,14}")));
    }

    private static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
