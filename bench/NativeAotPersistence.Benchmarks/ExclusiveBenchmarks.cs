using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace NativeAotPersistence.Benchmarks;

/// <summary>SqliteOpenOptions.Exclusive against the floor opened with locking_mode=EXCLUSIVE, on a WAL file.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ExclusiveBenchmarks
{
    private const string Key = "user:42";
    private string? _dir;
    private SqliteAdapter _ours = null!;
    private RawFloor<SmallPayload> _floor = null!;
    private byte[] _floorKey = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _dir = BenchFiles.NewDirectory();
        _ours = await SqliteAdapter.OpenAsync(Path.Combine(_dir, "ours.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default }, new SqliteOpenOptions { Exclusive = true });
        await _ours.Cache.SetAsync(Key, Samples.Small);
        _floor = new RawFloor<SmallPayload>(Path.Combine(_dir, "floor.db"), BenchPayloads.Default.SmallPayload, exclusive: true);
        _floorKey = RawFloor<SmallPayload>.Key("cache:" + Key);
        _floor.Set(_floorKey, Samples.Small, Now());
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _ours.DisposeAsync();
        _floor.Dispose();
        BenchFiles.Delete(_dir);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Benchmark(Baseline = true), BenchmarkCategory("exclusive get-hit")]
    public SmallPayload? Floor_GetHit() => _floor.Get(_floorKey, Now());

    [Benchmark, BenchmarkCategory("exclusive get-hit")]
    public SmallPayload? Ours_GetHit()
    {
        var task = _ours.Cache.GetAsync<SmallPayload>(Key);
        return task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("exclusive set")]
    public void Floor_Set() => _floor.Set(_floorKey, Samples.Small, Now());

    [Benchmark, BenchmarkCategory("exclusive set")]
    public void Ours_Set()
    {
        var task = _ours.Cache.SetAsync(Key, Samples.Small);
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }
}
