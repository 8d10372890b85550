using System.Diagnostics;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>Issue 9, test 6: many threads on one adapter, each checked against its own model.</summary>
public class ThreadSafetyStressTests
{
    private const int Threads = 8;
    private const int OperationsPerThread = 10_000;
    private const int KeysPerThread = 16;

    [Fact]
    public async Task EightThreadsX10000MixedOperations_OnOneWalAdapter_MatchTheirModels_AndTheSharedCountIsExact()
    {
        using var dir = new TempDirectory();
        await using var adapter = await SqliteAdapter.OpenAsync(dir.File("stress.db"));
        var failuresRecorded = 0;
        var stopwatch = Stopwatch.StartNew();
        using var start = new ManualResetEventSlim();

        var threads = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(async () =>
        {
            start.Wait();
            var random = new Random(t);
            var cache = new Dictionary<string, int>();
            var records = new Dictionary<string, int>();
            var latest = new Dictionary<string, int>();
            for (var n = 0; n < OperationsPerThread; n++)
            {
                var key = $"t{t}-k{random.Next(KeysPerThread)}";
                var value = random.Next();
                switch (random.Next(20))
                {
                    case < 5:
                        await adapter.Cache.SetAsync(key, value);
                        cache[key] = value;
                        break;
                    case < 10:
                        var lookup = await adapter.Cache.TryGetAsync<int>(key);
                        Assert.Equal(cache.TryGetValue(key, out var expected), lookup.Found);
                        Assert.Equal(expected, lookup.Value);
                        break;
                    case 10:
                        Assert.Equal(cache.Remove(key), await adapter.Cache.DeleteAsync(key));
                        break;
                    case 11:
                        Assert.Equal(cache.ContainsKey(key), await adapter.Cache.HasAsync(key));
                        break;
                    case 12:
                        Assert.Equal(!cache.ContainsKey(key), await adapter.Cache.AddAsync(key, value));
                        cache.TryAdd(key, value);
                        break;
                    case 13:
                        await adapter.Idempotency.SetAsync(key, value);
                        records[key] = value;
                        break;
                    case 14:
                        Assert.Equal(records.TryGetValue(key, out var record) ? record : null, (await adapter.Idempotency.GetAsync<int>(key))?.Value);
                        break;
                    case 15:
                        await adapter.Checkpoints.SaveAsync(new Checkpoint<int>(key, $"t{t}", n, DateTimeOffset.UnixEpoch, n % 101, value));
                        latest[$"t{t}"] = value;
                        break;
                    case 16:
                        Assert.Equal(latest.TryGetValue($"t{t}", out var last) ? last : null, (await adapter.Checkpoints.LoadLatestAsync<int>($"t{t}"))?.Data);
                        break;
                    case 17:
                        var handle = await adapter.Locks.AcquireAsync(key, TimeSpan.FromMinutes(1));
                        Assert.NotNull(handle);
                        await handle.ReleaseAsync();
                        break;
                    default:
                        await adapter.CircuitBreakers.RecordFailureAsync("shared", int.MaxValue);
                        Interlocked.Increment(ref failuresRecorded);
                        break;
                }
            }

            return cache;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();

        start.Set();
        var models = await Task.WhenAll(threads).WaitAsync(TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);

        for (var t = 0; t < Threads; t++)
        {
            var stored = await adapter.Cache.KeysAsync($"t{t}-*");
            Assert.Equal(models[t].Keys.Order(StringComparer.Ordinal), stored);
            foreach (var (key, value) in models[t])
            {
                Assert.Equal(value, await adapter.Cache.GetAsync<int>(key));
            }
        }

        Assert.Equal(failuresRecorded, (await adapter.CircuitBreakers.GetStateAsync("shared"))!.FailureCount);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Threads} threads x {OperationsPerThread} operations in {stopwatch.Elapsed.TotalSeconds:0.0} s; " +
            $"shared RecordFailure count {failuresRecorded} exact; every thread's keys equal its model.");
    }
}
