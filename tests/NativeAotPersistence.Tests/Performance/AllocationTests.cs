namespace NativeAotPersistence.Tests.Performance;

/// <summary>
/// Hot paths allocate nothing beyond the returned object. Allocation counts are deterministic (unlike timings), so
/// they are asserted here; the timings live in the benchmark project.
/// </summary>
public sealed class AllocationTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqliteAdapter _memory = null!;
    private SqliteAdapter _file = null!;

    public async ValueTask InitializeAsync()
    {
        _memory = await SqliteAdapter.OpenAsync(":memory:");
        _file = await SqliteAdapter.OpenAsync(_dir.File("alloc.db"));
    }

    public async ValueTask DisposeAsync()
    {
        await _memory.DisposeAsync();
        await _file.DisposeAsync();
        _dir.Dispose();
    }

    public static TheoryData<string> Stores => ["memory", "file"];

    private SqliteAdapter Adapter(string store) => store == "memory" ? _memory : _file;

    private static void Done(ValueTask task)
    {
        Assert.True(task.IsCompletedSuccessfully, "A hot path must complete synchronously.");
        task.GetAwaiter().GetResult();
    }

    private static T Done<T>(ValueTask<T> task)
    {
        Assert.True(task.IsCompletedSuccessfully, "A hot path must complete synchronously.");
        return task.Result;
    }

    private static long Measure(Action action)
    {
        for (var i = 0; i < 50; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            action();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void CacheSet_AllocatesNothing(string store)
    {
        var cache = Adapter(store).Cache;
        Assert.Equal(0, Measure(() => Done(cache.SetAsync("user:42", 12345L, TimeSpan.FromMinutes(5)))));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void CacheGetMiss_AllocatesNothing(string store)
    {
        var cache = Adapter(store).Cache;
        Assert.Equal(0, Measure(() => Done(cache.GetAsync<long>("missing"))));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void CacheGetHit_AllocatesOnlyTheReturnedObject(string store)
    {
        var cache = Adapter(store).Cache;
        Done(cache.SetAsync("user:42", 12345L));
        Assert.Equal(0, Measure(() => Done(cache.GetAsync<long>("user:42"))));

        Done(cache.SetAsync("name", "0123456789"));
        var stringSize = Measure(() => _ = "0123456789".AsSpan().ToString());
        Assert.Equal(stringSize, Measure(() => Done(cache.GetAsync<string>("name"))));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void RecordFailure_AllocatesNothing(string store)
    {
        var circuits = Adapter(store).CircuitBreakers;
        Assert.Equal(0, Measure(() => Done(circuits.RecordFailureAsync("payments", 5))));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void HasAndDelete_AllocateNothing(string store)
    {
        var cache = Adapter(store).Cache;
        Assert.Equal(0, Measure(() =>
        {
            Done(cache.HasAsync("k"));
            Done(cache.DeleteAsync("k"));
        }));
    }
}
