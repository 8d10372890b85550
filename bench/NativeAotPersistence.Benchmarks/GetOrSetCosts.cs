using System.Globalization;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--getorset [rounds]`: what GetOrSet costs, one caller at a time, on <c>:memory:</c>, a WAL file and, when
/// <c>NAP_BENCH_POSTGRES</c> names a server, PostgreSQL: a hit, and a miss (whose factory returns at once) with
/// single flight in the process only (<see cref="LockScope.Process"/>) and across processes (<see cref="LockScope.Database"/>,
/// the default: a lease of the store is granted and released around the factory), without and with options.
/// </summary>
/// <remarks>Each figure is the median over the rounds of 2,000 operations; the cost of a miss includes the store of its value.</remarks>
internal static class GetOrSetCosts
{
    private const int DefaultRounds = 7;
    private const int Operations = 2_000;

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : DefaultRounds;
        await using var bench = await BenchStores.OpenAsync("getorset.db");
        var stores = bench.All;
        Console.WriteLine($"GetOrSet, one caller: median of {rounds} rounds of {Operations:N0}; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        bench.ExplainMissingPostgres();
        Console.WriteLine($"{"",-52}" + string.Concat(stores.Select(s => $"{s.Name,14}")));

        var ttl = TimeSpan.FromHours(1);
        var process = new GetOrSetOptions { Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl }, Scope = LockScope.Process };
        var database = process with { Scope = LockScope.Database };
        var run = 0;
        string NextKey() => "miss:" + Interlocked.Increment(ref run).ToString(CultureInfo.InvariantCulture);

        await TagCosts.RowAsync("hit, TTL overload (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.GetOrSetAsync("hot:" + (i % 100).ToString(CultureInfo.InvariantCulture), static _ => ValueTask.FromResult(1), ttl);
            }

            return Operations;
        });
        await TagCosts.RowAsync("hit, with options (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.GetOrSetAsync("hot:" + (i % 100).ToString(CultureInfo.InvariantCulture), static _ => ValueTask.FromResult(1), database);
            }

            return Operations;
        });
        await TagCosts.RowAsync("miss, single flight in the process (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.GetOrSetAsync(NextKey(), static _ => ValueTask.FromResult(1), process);
            }

            return Operations;
        });
        await TagCosts.RowAsync("miss, across processes: TTL overload (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.GetOrSetAsync(NextKey(), static _ => ValueTask.FromResult(1), ttl);
            }

            return Operations;
        });
        await TagCosts.RowAsync("miss, across processes: with options (µs per op)", rounds, stores, async s =>
        {
            for (var i = 0; i < Operations; i++)
            {
                await s.Cache.GetOrSetAsync(NextKey(), static _ => ValueTask.FromResult(1), database);
            }

            return Operations;
        });
    }
}
