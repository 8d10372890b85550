using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using NeoSmart.Caching.Sqlite;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// Cache get-hit, get-miss and set against the raw SQLitePCLRaw floor (the baseline of each category),
/// Microsoft.Data.Sqlite with a cached prepared command + System.Text.Json source generation, and NeoSmart.Caching.Sqlite.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[GenericTypeArguments(typeof(SmallPayload))]
[GenericTypeArguments(typeof(LargePayload))]
public class CacheBenchmarks<T>
    where T : class
{
    private const string HitKey = "user:42";
    private const string MissKey = "user:missing";
    private static readonly DistributedCacheEntryOptions s_noExpiry = new();

    private string? _dir;
    private T _value = null!;
    private SqliteAdapter _ours = null!;
    private RawFloor<T> _floor = null!;
    private byte[] _floorHit = null!;
    private byte[] _floorMiss = null!;
    private MdsCache<T> _mds = null!;
    private SqliteCache _neo = null!;
    private JsonTypeInfo<T> _stj = null!;

    [Params(Store.Memory, Store.WalFile)]
    public Store Store { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _dir = BenchFiles.NewDirectory();
        string Path(string name) => Store == Store.Memory ? ":memory:" : System.IO.Path.Combine(_dir, name);
        _value = typeof(T) == typeof(SmallPayload) ? (T)(object)Samples.Small : (T)(object)Samples.Large;
        _stj = (JsonTypeInfo<T>)BenchJsonContext.Default.GetTypeInfo(typeof(T))!;
        var info = (PayloadTypeInfo<T>)BenchPayloads.Default.GetTypeInfo(typeof(T))!;

        _ours = await SqliteAdapter.OpenAsync(Path("ours.db"), new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
        await _ours.Cache.SetAsync(HitKey, _value);

        _floor = new RawFloor<T>(Path("floor.db"), info);
        _floorHit = RawFloor<T>.Key("cache:" + HitKey);
        _floorMiss = RawFloor<T>.Key("cache:" + MissKey);
        _floor.Set(_floorHit, _value, Now());

        _mds = new MdsCache<T>(Store == Store.Memory ? ":memory:" : Path("mds.db"), _stj);
        _mds.Set(HitKey, _value, Now());

        _neo = new SqliteCache(Options.Create(new SqliteCacheOptions { MemoryOnly = Store == Store.Memory, CachePath = System.IO.Path.Combine(_dir, "neo.db") }));
        _neo.Set(HitKey, JsonSerializer.SerializeToUtf8Bytes(_value, _stj), s_noExpiry);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _ours.DisposeAsync();
        _floor.Dispose();
        _mds.Dispose();
        _neo.Dispose();
        BenchFiles.Delete(_dir);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static TResult Sync<TResult>(ValueTask<TResult> task) =>
        task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private static void Sync(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("get-hit")]
    public T? Floor_GetHit() => _floor.Get(_floorHit, Now());

    [Benchmark, BenchmarkCategory("get-hit")]
    public T? Ours_GetHit() => Sync(_ours.Cache.GetAsync<T>(HitKey));

    [Benchmark, BenchmarkCategory("get-hit")]
    public T? MicrosoftDataSqlite_GetHit() => _mds.Get(HitKey, Now());

    [Benchmark, BenchmarkCategory("get-hit")]
    public T? NeoSmart_GetHit() => _neo.Get(HitKey) is { } bytes ? JsonSerializer.Deserialize(bytes, _stj) : null;

    [Benchmark(Baseline = true), BenchmarkCategory("get-miss")]
    public T? Floor_GetMiss() => _floor.Get(_floorMiss, Now());

    [Benchmark, BenchmarkCategory("get-miss")]
    public T? Ours_GetMiss() => Sync(_ours.Cache.GetAsync<T>(MissKey));

    [Benchmark, BenchmarkCategory("get-miss")]
    public T? MicrosoftDataSqlite_GetMiss() => _mds.Get(MissKey, Now());

    [Benchmark, BenchmarkCategory("get-miss")]
    public T? NeoSmart_GetMiss() => _neo.Get(MissKey) is { } bytes ? JsonSerializer.Deserialize(bytes, _stj) : null;

    [Benchmark(Baseline = true), BenchmarkCategory("set")]
    public void Floor_Set() => _floor.Set(_floorHit, _value, Now());

    [Benchmark, BenchmarkCategory("set")]
    public void Ours_Set() => Sync(_ours.Cache.SetAsync(HitKey, _value));

    [Benchmark, BenchmarkCategory("set")]
    public void MicrosoftDataSqlite_Set() => _mds.Set(HitKey, _value, Now());

    [Benchmark, BenchmarkCategory("set")]
    public void NeoSmart_Set() => _neo.Set(HitKey, JsonSerializer.SerializeToUtf8Bytes(_value, _stj), s_noExpiry);

    [Benchmark, BenchmarkCategory("has")]
    public bool Ours_Has() => Sync(_ours.Cache.HasAsync(HitKey));

    [Benchmark, BenchmarkCategory("delete+set")]
    public void Ours_DeleteSet()
    {
        Sync(_ours.Cache.DeleteAsync(HitKey));
        Sync(_ours.Cache.SetAsync(HitKey, _value));
    }
}

/// <summary>What a careful Microsoft.Data.Sqlite user writes: one connection, prepared commands, STJ source generation.</summary>
internal sealed class MdsCache<T> : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _get;
    private readonly SqliteCommand _set;
    private readonly JsonTypeInfo<T> _info;

    public MdsCache(string path, JsonTypeInfo<T> info)
    {
        _info = info;
        _connection = new SqliteConnection($"Data Source={path};Pooling=False");
        _connection.Open();
        using (var setup = _connection.CreateCommand())
        {
            setup.CommandText = (path == ":memory:" ? "" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ") +
                "CREATE TABLE IF NOT EXISTS mds_cache(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER, created_at INTEGER);" +
                "CREATE INDEX IF NOT EXISTS idx_mds_expires ON mds_cache(expires_at);";
            setup.ExecuteNonQuery();
        }

        _get = _connection.CreateCommand();
        _get.CommandText = "SELECT value FROM mds_cache WHERE key = $key AND (expires_at IS NULL OR expires_at > $now)";
        _get.Parameters.Add("$key", SqliteType.Text);
        _get.Parameters.Add("$now", SqliteType.Integer);
        _get.Prepare();

        _set = _connection.CreateCommand();
        _set.CommandText = "INSERT INTO mds_cache(key, value, expires_at, created_at) VALUES ($key, $value, NULL, $now) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at";
        _set.Parameters.Add("$key", SqliteType.Text);
        _set.Parameters.Add("$value", SqliteType.Text);
        _set.Parameters.Add("$now", SqliteType.Integer);
        _set.Prepare();
    }

    public T? Get(string key, long now)
    {
        _get.Parameters[0].Value = key;
        _get.Parameters[1].Value = now;
        return _get.ExecuteScalar() is string json ? JsonSerializer.Deserialize(json, _info) : default;
    }

    public void Set(string key, T value, long now)
    {
        _set.Parameters[0].Value = key;
        _set.Parameters[1].Value = JsonSerializer.Serialize(value, _info);
        _set.Parameters[2].Value = now;
        _set.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _get.Dispose();
        _set.Dispose();
        _connection.Dispose();
    }
}
