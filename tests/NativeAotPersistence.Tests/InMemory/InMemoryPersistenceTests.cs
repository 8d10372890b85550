using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.InMemory;

/// <summary>What only <see cref="InMemoryPersistence"/> promises on top of the conformance suite.</summary>
public class InMemoryPersistenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Operations_CompleteSynchronously()
    {
        var time = new FakeTimeProvider();
        await using var p = new InMemoryPersistence(new PersistenceAdapterOptions { TimeProvider = time, LockScope = LockScope.Database });
        Completed(p.ConnectAsync(Ct));
        Completed(p.Cache.SetAsync("k", 1, TimeSpan.FromSeconds(1), Ct));
        Completed(p.Cache.GetAsync<int>("k", Ct));
        Completed(p.Cache.KeysAsync("*", Ct));
        Completed(p.CircuitBreakers.RecordFailureAsync("c", 3, Ct));
        Completed(p.Checkpoints.SaveAsync(new Checkpoint<int>("c", "t", 1, time.GetUtcNow(), 0, 1), Ct));
        Completed(p.Checkpoints.LoadLatestAsync<int>("t", Ct));
        Completed(p.Idempotency.SetAsync("i", 1, cancellationToken: Ct));
        Completed(p.Locks.AcquireAsync("l", TimeSpan.FromSeconds(1), cancellationToken: Ct));
        Completed(p.PruneAsync(Ct));
    }

    private static void Completed(ValueTask task)
    {
        Assert.True(task.IsCompletedSuccessfully);
        task.GetAwaiter().GetResult();
    }

    private static void Completed<T>(ValueTask<T> task)
    {
        Assert.True(task.IsCompletedSuccessfully);
        task.GetAwaiter().GetResult();
    }

    [Fact]
    public async Task EachAdapter_WithoutAStore_HasItsOwn()
    {
        await using var a = new InMemoryPersistence();
        await using var b = new InMemoryPersistence();
        await a.ConnectAsync(Ct);
        await b.ConnectAsync(Ct);
        await a.Cache.SetAsync("k", 1, cancellationToken: Ct);
        Assert.False(await b.Cache.HasAsync("k", Ct));
        Assert.NotSame(a.Store, b.Store);
    }

    [Fact]
    public async Task SharedStore_IsOneDatabase_AndOutlivesItsAdapters()
    {
        var store = new InMemoryStore();
        await using (var a = new InMemoryPersistence(null, store))
        {
            await a.ConnectAsync(Ct);
            await a.Cache.SetAsync("k", "v", cancellationToken: Ct);
        }

        await using var b = new InMemoryPersistence(new PersistenceAdapterOptions(), store);
        await b.ConnectAsync(Ct);
        Assert.Equal("v", await b.Cache.GetAsync<string>("k", Ct));
        Assert.Same(store, b.Store);
    }

    [Fact]
    public async Task NotConnected_MessageNamesTheFix()
    {
        await using var p = new InMemoryPersistence();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Cache.GetAsync<int>("k", Ct));
        Assert.Contains("in-memory adapter is not connected", e.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectAsync", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PayloadFormatException_NamesTheInMemoryDataSource()
    {
        await using var p = new InMemoryPersistence();
        await p.ConnectAsync(Ct);
        await p.Cache.SetAsync("s", "text", cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("s", Ct));
        Assert.Equal("in-memory", e.DataSource);
        Assert.Equal("cache.get", e.Operation);
    }
}
