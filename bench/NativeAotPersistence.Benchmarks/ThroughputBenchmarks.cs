using BenchmarkDotNet.Attributes;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// Reader-pool scaling (get-hit from 1, 2 and 8 threads) and group commit (set from 1, 8 and 32 concurrent writers)
/// on a WAL file. Times are per operation (OperationsPerInvoke), so ops/s = 1e9 / mean ns.
/// </summary>
[MemoryDiagnoser]
public class ThroughputBenchmarks
{
    private const int OperationsPerWorker = 2_000;

    // Built once: an operation measures the store, not the formatting of its key.
    private static readonly string[] Keys = Enumerable.Range(0, 1000).Select(i => "key" + i).ToArray();
    private string? _dir;
    private SqliteAdapter _adapter = null!;

    [Params(SqliteDurability.Normal, SqliteDurability.Full)]
    public SqliteDurability Durability { get; set; }

    [Params(1, 2, 8, 32)]
    public int Workers { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _dir = BenchFiles.NewDirectory();
        _adapter = await SqliteAdapter.OpenAsync(
            Path.Combine(_dir, "throughput.db"),
            new PersistenceAdapterOptions { Payloads = BenchPayloads.Default },
            new SqliteOpenOptions { Durability = Durability });
        for (var i = 0; i < 1000; i++)
        {
            await _adapter.Cache.SetAsync(Keys[i], Samples.Small);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _adapter.DisposeAsync();
        BenchFiles.Delete(_dir);
    }

    [Benchmark(OperationsPerInvoke = OperationsPerWorker)]
    public Task GetHit_PerWorkerOp() => Run(static async (adapter, worker) =>
    {
        for (var i = 0; i < OperationsPerWorker; i++)
        {
            await adapter.Cache.GetAsync<SmallPayload>(Keys[((worker * 31) + i) % Keys.Length]);
        }
    });

    [Benchmark(OperationsPerInvoke = OperationsPerWorker)]
    public Task Set_PerWorkerOp() => Run(static async (adapter, worker) =>
    {
        for (var i = 0; i < OperationsPerWorker; i++)
        {
            await adapter.Cache.SetAsync(Keys[((worker * 31) + i) % Keys.Length], Samples.Small);
        }
    });

    private Task Run(Func<SqliteAdapter, int, Task> work)
    {
        var tasks = new Task[Workers];
        for (var w = 0; w < Workers; w++)
        {
            var worker = w;
            tasks[w] = Task.Run(() => work(_adapter, worker));
        }

        return Task.WhenAll(tasks);
    }
}
