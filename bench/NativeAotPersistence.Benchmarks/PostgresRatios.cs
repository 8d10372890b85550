using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Medallion.Threading.Postgres;
using Microsoft.Extensions.Caching.Distributed;
using Npgsql;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--postgres [rounds]`: the PostgreSQL backend against its floor and the peers a fleet would pick, one caller at a
/// time, on the server named by <c>NAP_BENCH_POSTGRES</c>: cache get hit, get miss and set, and a Database-scope lock
/// acquire + release, each by the floor (<see cref="PgFloor"/>: the library's statements through raw Npgsql), by the
/// library, and by a peer (<see cref="PgDistributedCache"/>, a hand-written <c>IDistributedCache</c>; DistributedLock.Postgres,
/// a session advisory lock). The lock row also runs the floor with <c>SET LOCAL synchronous_commit = off</c> in both of
/// its transactions, an experiment (see docs/performance.md).
/// </summary>
/// <remarks>
/// Each round runs every cell of a row once for about <see cref="RoundTime"/>, the order rotated round by round, so every
/// cell sees the same load, and short rounds keep the cells of a round within milliseconds of each other (this VM's WAL
/// flushes swing between 0.1 and several ms with what else writes to its disk). A cell's µs is the median latency of all
/// its operations; a ratio is the median over the rounds of the ratio of the two cells' medians in the round, so a
/// stall in a few rounds moves neither. A cell fails the run if it did not do what its row says (a hit that missed, a
/// lock not granted).
/// </remarks>
internal static class PostgresRatios
{
    private const int DefaultRounds = 301;
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(5);
    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    /// <summary>
    /// The physical connections each pool keeps, used in turn (Npgsql hands out idle connections first in, first out). On a
    /// busy 2-core VM one server process can run slower than another for seconds, wherever the scheduler put it; every
    /// cell spread over a few of them sees the same mix (on one connection each, two identical floors drifted apart).
    /// </summary>
    private const int Connections = 4;

    /// <summary>One cell's loop: runs n operations, adding each one's µs to <paramref name="latencies"/>.</summary>
    private delegate ValueTask Loop(int n, List<double> latencies);

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : DefaultRounds;
        var connectionString = Environment.GetEnvironmentVariable(PostgresBenchmarks.ConnectionStringVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"--postgres needs a server: set {PostgresBenchmarks.ConnectionStringVariable} to its connection string, e.g. Host=127.0.0.1;Port=54329;Username=app;Database=postgres (docs/scaling-out.md starts a local one)");
        }

        var run = "bench-" + Guid.NewGuid().ToString("N")[..8] + ":";
        const string owner = "bench";
        var ttl = TimeSpan.FromSeconds(30);
        var info = BenchPayloads.Default.SmallPayload;
        var stj = BenchJsonContext.Default.SmallPayload;

        await using var ours = await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions
        {
            Payloads = BenchPayloads.Default, LockScope = LockScope.Database, KeyPrefix = run + "ours:",
        });
        await using var floorSource = PgFloor.BuildDataSource(connectionString);
        var floor = new PgFloor(floorSource, info, owner);
        await using var resetSource = PgFloor.BuildDataSource(connectionString, resetOnClose: true);
        var floorReset = new PgFloor(resetSource, info, owner);
        var floorAsyncCommit = new PgFloor(floorSource, info, owner, synchronousCommitOff: true);
        await using var peerSource = NpgsqlDataSource.Create(connectionString);
        var peer = new PgDistributedCache(peerSource);
        await peer.CreateTableAsync();

        // DistributedLock.Postgres on the floor's data source (it then holds a pooled connection per lock; multiplexing
        // is off with a data source), and on a connection string (its default: multiplexed connections of its own).
        var advisory = new PostgresDistributedLock(new PostgresAdvisoryLockKey(run + "job", allowHashing: true), floorSource);
        var advisoryMultiplexed = new PostgresDistributedLock(new PostgresAdvisoryLockKey(run + "job-m", allowHashing: true), connectionString);

        await PrintServerAsync(floorSource, rounds);
        foreach (var source in new[] { floorSource, resetSource, peerSource })
        {
            await WidenAsync(source);
        }

        // The library's own pool grows the same way, by operations that overlap.
        for (var i = 0; i < 3; i++)
        {
            await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ours.Cache.HasAsync("user:42").AsTask()));
        }

        var hit = PgFloor.Utf8(run + "floor:cache:user:42");
        var miss = PgFloor.Utf8(run + "floor:cache:user:missing");
        var written = PgFloor.Utf8(run + "floor:cache:user:7");
        var lockKey = PgFloor.Utf8(run + "floor:lock:job");
        var lockKeyAsync = PgFloor.Utf8(run + "floor:lock:job-async");
        var ownerBytes = PgFloor.Utf8(owner);
        var ttlMs = (long)ttl.TotalMilliseconds;
        await floor.SetAsync(hit, Samples.Small);
        await ours.Cache.SetAsync("user:42", Samples.Small);
        await peer.SetAsync(run + "user:42", JsonSerializer.SerializeToUtf8Bytes(Samples.Small, stj), NoExpiry);
        var cache = ours.Cache;
        var locks = ours.Locks;

        Console.WriteLine($"{"operation",-22}{"floor µs",10}{"ours µs",10}{"ours/floor",12}{"peer µs",10}{"peer/ours",11}  peer");
        await RowAsync("cache get hit", rounds, "IDistributedCache-style (STJ)",
            Repeat(async () => Expect(await floor.GetAsync(hit) is not null, "floor hit")),
            Repeat(async () => Expect(await cache.GetAsync<SmallPayload>("user:42") is not null, "hit")),
            Repeat(async () => Expect(await peer.GetAsync(run + "user:42") is { } b && JsonSerializer.Deserialize(b, stj) is not null, "peer hit")),
            ("floor with Npgsql's pool reset", Repeat(async () => Expect(await floorReset.GetAsync(hit) is not null, "floor hit"))));
        await RowAsync("cache get miss", rounds, "IDistributedCache-style (STJ)",
            Repeat(async () => Expect(await floor.GetAsync(miss) is null, "floor miss")),
            Repeat(async () => Expect(await cache.GetAsync<SmallPayload>("user:missing") is null, "miss")),
            Repeat(async () => Expect(await peer.GetAsync(run + "user:missing") is null, "peer miss")));
        await RowAsync("cache set", rounds, "IDistributedCache-style (STJ)",
            Repeat(() => floor.SetAsync(written, Samples.Small)),
            Repeat(() => cache.SetAsync("user:7", Samples.Small)),
            Repeat(() => new ValueTask(peer.SetAsync(run + "user:7", JsonSerializer.SerializeToUtf8Bytes(Samples.Small, stj), NoExpiry))),
            ("floor with Npgsql's pool reset", Repeat(() => floorReset.SetAsync(written, Samples.Small))));
        await RowAsync("lock acquire+release", rounds, "DistributedLock.Postgres (data source)",
            Repeat(async () => await floor.ReleaseAsync(lockKey, ownerBytes, await floor.AcquireAsync(lockKey, ownerBytes, ttlMs))),
            Repeat(async () =>
            {
                var handle = await locks.AcquireAsync("job", ttl, owner);
                Expect(handle is not null, "lock");
                await handle!.ReleaseAsync();
            }),
            Repeat(async () =>
            {
                await using var handle = await advisory.TryAcquireAsync();
                Expect(handle is not null, "advisory lock");
            }),
            ("lock, synchronous_commit = off (floor)", Repeat(async () => await floorAsyncCommit.ReleaseAsync(lockKeyAsync, ownerBytes, await floorAsyncCommit.AcquireAsync(lockKeyAsync, ownerBytes, ttlMs)))),
            ("DistributedLock.Postgres (connection string, multiplexed)", Repeat(async () =>
            {
                await using var handle = await advisoryMultiplexed.TryAcquireAsync();
                Expect(handle is not null, "multiplexed advisory lock");
            })));

        await cache.ClearAsync();
        await peer.RemovePrefixAsync(run);
        await using var cleanup = floorSource.CreateCommand("DELETE FROM go_goscope_cache WHERE key = $1 OR key = $2");
        cleanup.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hit });
        cleanup.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = written });
        await cleanup.ExecuteNonQueryAsync();
    }

    private static async Task PrintServerAsync(NpgsqlDataSource source, int rounds)
    {
        await using var command = source.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method'), inet_server_addr()::text");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Console.WriteLine(
            $"PostgreSQL {reader.GetString(0)} at {(reader.IsDBNull(4) ? "a Unix socket" : reader.GetString(4))}: fsync {reader.GetString(1)}, synchronous_commit {reader.GetString(2)}, " +
            $"wal_sync_method {reader.GetString(3)}; one caller; {rounds} rounds of ~{RoundTime.TotalMilliseconds:0} ms per cell (order rotated each round): " +
            "µs = median latency of every operation, ratio = median over the rounds of the ratio of the two cells' medians; " +
            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
    }

    /// <summary>Opens <see cref="Connections"/> connections at once, so the pool keeps that many.</summary>
    private static async Task WidenAsync(NpgsqlDataSource source)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => source.OpenConnectionAsync().AsTask()));
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"--postgres: the {what} cell did not do what its row says.");
        }
    }

    private static Loop Repeat(Func<ValueTask> operation) => async (n, latencies) =>
    {
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await operation();
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
    };

    /// <summary>One row: floor, ours, the peer and any extra cells in rotated rounds; prints the medians and ratios.</summary>
    private static async Task RowAsync(string name, int rounds, string peerName, Loop floor, Loop ours, Loop peer, params (string Name, Loop Loop)[] extra)
    {
        Loop[] loops = [floor, ours, peer, .. extra.Select(e => e.Loop)];
        var ops = new int[loops.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            ops[i] = await CalibrateAsync(loops[i]);
        }

        // Every operation's latency, and each round's median of them, per cell.
        var all = loops.Select(_ => new List<double>()).ToArray();
        var perRound = loops.Select(_ => new List<double>()).ToArray();
        var round = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            for (var k = 0; k < loops.Length; k++)
            {
                var i = (k + r) % loops.Length;
                round.Clear();
                await loops[i](ops[i], round);
                all[i].AddRange(round);
                perRound[i].Add(Median(round));
            }
        }

        Console.WriteLine(
            $"{name,-22}{Format(Median(all[0])),10}{Format(Median(all[1])),10}{RatioOf(perRound[1], perRound[0]),11:0.00}x" +
            $"{Format(Median(all[2])),10}{RatioOf(perRound[2], perRound[1]),10:0.00}x  {peerName}");
        for (var e = 0; e < extra.Length; e++)
        {
            Console.WriteLine($"  {extra[e].Name}: {Format(Median(all[3 + e]))} µs = {RatioOf(perRound[3 + e], perRound[0]):0.00}x floor, {RatioOf(perRound[3 + e], perRound[1]):0.00}x ours");
        }
    }

    /// <summary>The median over the rounds of the ratio of a's median to b's in the same round.</summary>
    private static double RatioOf(List<double> a, List<double> b) => Median(a.Zip(b, (x, y) => x / y).ToList());

    /// <summary>How many operations fill about <see cref="RoundTime"/>, after a warm-up (which also gets every statement auto-prepared on every connection).</summary>
    private static async Task<int> CalibrateAsync(Loop loop)
    {
        var ignored = new List<double>();
        await loop(10 * Connections, ignored);
        var n = 1;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            await loop(n, ignored);
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= RoundTime / 4 || n >= 1 << 20)
            {
                return Math.Max(1, (int)Math.Min(1 << 20, n * (RoundTime / elapsed)));
            }

            n *= 4;
        }
    }

    private static string Format(double micros) => micros.ToString(micros < 100 ? "0.0" : "#,0", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
