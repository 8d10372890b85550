using BenchmarkDotNet.Attributes;

namespace NativeAotPersistence.Benchmarks;

/// <summary>The other providers' hot operations, and KeysAsync over 10,000 keys.</summary>
[MemoryDiagnoser]
public class ProviderBenchmarks
{
    private string? _dir;
    private SqliteAdapter _process = null!;
    private SqliteAdapter _database = null!;
    private Checkpoint<SmallPayload> _checkpoint = null!;

    [Params(Store.Memory, Store.WalFile)]
    public Store Store { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _dir = BenchFiles.NewDirectory();
        var path = Store == Store.Memory ? ":memory:" : Path.Combine(_dir, "providers.db");
        _process = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
        _database = Store == Store.Memory
            ? await SqliteAdapter.OpenAsync(":memory:", new PersistenceAdapterOptions { Payloads = BenchPayloads.Default, LockScope = LockScope.Database })
            : await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { Payloads = BenchPayloads.Default, LockScope = LockScope.Database, KeyPrefix = "db:" });
        _checkpoint = new Checkpoint<SmallPayload>("import#1", "import", 1, DateTimeOffset.UtcNow, 40, Samples.Small, TimeSpan.FromMinutes(3));
        await _process.Checkpoints.SaveAsync(_checkpoint);
        await _process.Idempotency.SetAsync("charge:42", Samples.Small);
        await _process.CircuitBreakers.RecordFailureAsync("payments", 5);
        for (var i = 0; i < 10_000; i++)
        {
            await _process.Cache.SetAsync(i % 10 == 0 ? $"user:{i}" : $"item:{i}", i);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _process.DisposeAsync();
        await _database.DisposeAsync();
        BenchFiles.Delete(_dir);
    }

    private static TResult Sync<TResult>(ValueTask<TResult> task) =>
        task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private static void Sync(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark]
    public int Circuit_RecordFailure() => Sync(_process.CircuitBreakers.RecordFailureAsync("payments", 5));

    [Benchmark]
    public CircuitBreakerPersistedState? Circuit_GetState() => Sync(_process.CircuitBreakers.GetStateAsync("payments"));

    [Benchmark]
    public void Checkpoint_Save() => Sync(_process.Checkpoints.SaveAsync(_checkpoint));

    [Benchmark]
    public Checkpoint<SmallPayload>? Checkpoint_LoadLatest() => Sync(_process.Checkpoints.LoadLatestAsync<SmallPayload>("import"));

    [Benchmark]
    public IdempotencyRecord<SmallPayload>? Idempotency_Get() => Sync(_process.Idempotency.GetAsync<SmallPayload>("charge:42"));

    [Benchmark]
    public void Lock_AcquireRelease_Process()
    {
        var handle = Sync(_process.Locks.AcquireAsync("job", TimeSpan.FromSeconds(30), "bench"));
        Sync(handle!.ReleaseAsync());
    }

    [Benchmark]
    public void Lock_AcquireRelease_Database()
    {
        var handle = Sync(_database.Locks.AcquireAsync("job", TimeSpan.FromSeconds(30), "bench"));
        Sync(handle!.ReleaseAsync());
    }

    [Benchmark]
    public int Cache_Keys_Pattern_Over10000() => Sync(_process.Cache.KeysAsync("user:*")).Count;
}
