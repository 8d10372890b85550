using BenchmarkDotNet.Attributes;

namespace NativeAotPersistence.Benchmarks;

/// <summary>The backend of <see cref="PostgresBenchmarks"/>.</summary>
public enum Backend
{
    /// <summary><see cref="SqliteAdapter"/> on a WAL file (the library's defaults).</summary>
    SqliteWal,

    /// <summary><see cref="PostgresAdapter"/> on the server named by <c>NAP_BENCH_POSTGRES</c>.</summary>
    Postgres,
}

/// <summary>
/// The main operations on the PostgreSQL backend beside SQLite's, one caller at a time (latency, not throughput):
/// cache get hit/miss and set, RecordFailure, a Database-scope lock acquire+release, a checkpoint save. The server is
/// the one in the environment variable <c>NAP_BENCH_POSTGRES</c> (a connection string), for example a local server
/// started as in the README's "Scaling out" section; keep its default durability (fsync on) for figures that compare.
/// </summary>
[MemoryDiagnoser]
public class PostgresBenchmarks
{
    public const string ConnectionStringVariable = "NAP_BENCH_POSTGRES";

    private string? _dir;
    private IPersistenceAdapter _store = null!;
    private Checkpoint<SmallPayload> _checkpoint = null!;

    [Params(Backend.SqliteWal, Backend.Postgres)]
    public Backend Backend { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        // A fresh prefix per run: rows of earlier runs on the same server never make a miss a hit.
        var options = new PersistenceAdapterOptions
        {
            Payloads = BenchPayloads.Default,
            LockScope = LockScope.Database,
            KeyPrefix = "bench-" + Guid.NewGuid().ToString("N")[..8] + ":",
        };
        if (Backend == Backend.Postgres)
        {
            var connectionString = Environment.GetEnvironmentVariable(ConnectionStringVariable);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    $"Set {ConnectionStringVariable} to the connection string of a PostgreSQL server to benchmark, e.g. Host=127.0.0.1;Port=54329;Username=app;Database=postgres");
            }

            _store = await PostgresAdapter.OpenAsync(connectionString, options);
        }
        else
        {
            _dir = BenchFiles.NewDirectory();
            _store = await SqliteAdapter.OpenAsync(Path.Combine(_dir, "compare.db"), options);
        }

        _checkpoint = new Checkpoint<SmallPayload>("import#1", "import", 1, DateTimeOffset.UtcNow, 40, Samples.Small, TimeSpan.FromMinutes(3));
        await _store.Cache.SetAsync("user:42", Samples.Small);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store.PruneAsync();
        await _store.DisposeAsync();
        BenchFiles.Delete(_dir);
    }

    [Benchmark]
    public async Task<SmallPayload?> Cache_Get_Hit() => await _store.Cache.GetAsync<SmallPayload>("user:42");

    [Benchmark]
    public async Task<SmallPayload?> Cache_Get_Miss() => await _store.Cache.GetAsync<SmallPayload>("user:missing");

    [Benchmark]
    public async Task Cache_Set() => await _store.Cache.SetAsync("user:7", Samples.Small);

    [Benchmark]
    public async Task<int> Circuit_RecordFailure() => await _store.CircuitBreakers.RecordFailureAsync("payments", 5);

    [Benchmark]
    public async Task Lock_AcquireRelease()
    {
        var handle = await _store.Locks.AcquireAsync("job", TimeSpan.FromSeconds(30), "bench");
        await handle!.ReleaseAsync();
    }

    [Benchmark]
    public async Task Checkpoint_Save() => await _store.Checkpoints.SaveAsync(_checkpoint);
}
