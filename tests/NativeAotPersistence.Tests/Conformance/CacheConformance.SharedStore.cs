// Point resolves through the hand-written TestPayloads context: NAP0011 cannot see it, so it is off here.
#pragma warning disable NAP0011

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the cache contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class CacheSharedStoreConformance<TBackend> : CacheConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task RemoveByTag_TouchesOnlyThisPrefix_AndIsSeenByEveryAdapterOfIt()
    {
        var a = await OpenAsync("a:");
        var a2 = await OpenSecondAsync("a:");
        var b = await OpenSecondAsync("b:");
        await a.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = ["shared"] }, Ct);
        await b.Cache.SetAsync("k", 2, new CacheEntryOptions { Tags = ["shared"] }, Ct);
        Assert.Equal([new CacheTagSummary("shared", new RowCounts(1, 0))], await a2.Admin.ListCacheTagsAsync(Ct));
        Assert.Equal(1, await a2.Cache.RemoveByTagAsync("shared", Ct));
        Assert.Empty(await a.Admin.ListCacheTagsAsync(Ct));
        Assert.Single(await b.Admin.ListCacheTagsAsync(Ct));
        Assert.False(await a.Cache.HasAsync("k", Ct));
        Assert.Equal(2, await b.Cache.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task GetOrSet_ScopeDatabase_OnAProcessScopeAdapter_WaitsForTheKeysLeaseOnTheStore()
    {
        var a = await OpenAsync(lockScope: LockScope.Process);
        var b = await OpenSecondAsync(lockScope: LockScope.Database);
        await using var held = await b.Locks.AcquireAsync("nap.cache-factory:k", TimeSpan.FromMinutes(5), cancellationToken: Ct);
        Assert.NotNull(held);

        // The adapter's own scope (Process) ignores the store's lease; Scope = Database waits for it.
        Assert.Equal(1, await a.Cache.GetOrSetAsync("j", _ => ValueTask.FromResult(1), new GetOrSetOptions(), Ct));
        await using (var heldJ = await b.Locks.AcquireAsync("nap.cache-factory:j2", TimeSpan.FromMinutes(5), cancellationToken: Ct))
        {
            Assert.Equal(2, await a.Cache.GetOrSetAsync("j2", _ => ValueTask.FromResult(2), new GetOrSetOptions(), Ct));
        }

        var waiter = a.Cache.GetOrSetResultAsync<int>("k", _ => throw new InvalidOperationException("must not run"), new GetOrSetOptions { Scope = LockScope.Database }, cancellationToken: Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(waiter.IsCompleted);
        await b.Cache.SetAsync("k", 42, cancellationToken: Ct);
        Assert.Equal(new GetOrSetResult<int>(42, GetOrSetSource.Cache), await waiter.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task AFailSafeRow_IsStaleForEveryAdapter_AndOnlyGetOrSetServesIt()
    {
        var a = await OpenAsync();
        var b = await OpenSecondAsync();
        var options = new GetOrSetOptions { Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1), FailSafeMaxDuration = TimeSpan.FromMinutes(1) } };
        Assert.Equal(1, await a.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(1), options, Ct));
        Advance(1_000);
        Assert.False(await b.Cache.HasAsync("k", Ct));
        Assert.Empty(await b.Cache.KeysAsync(cancellationToken: Ct));
        var stale = await b.Cache.GetOrSetResultAsync<int>("k", _ => throw new InvalidOperationException("down"), options, cancellationToken: Ct);
        Assert.Equal((1, GetOrSetSource.Stale), (stale.Value, stale.Source));
    }

    [Fact]
    public async Task Clear_TouchesOnlyThisPrefix()
    {
        var a = await OpenAsync("a:");
        var b = await OpenSecondAsync("b:");
        await a.Cache.SetAsync("k", 1, cancellationToken: Ct);
        await b.Cache.SetAsync("k", 2, cancellationToken: Ct);
        await a.Cache.ClearAsync(Ct);
        Assert.False(await a.Cache.HasAsync("k", Ct));
        Assert.Equal(2, await b.Cache.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task Keys_DoNotLeakAcrossPrefixes()
    {
        var a = await OpenAsync("app");
        var b = await OpenSecondAsync("App");
        var c = await Backend.OpenAsync(Backend.Options("ap%"));
        var d = await Backend.OpenAsync(Backend.Options("app_"));
        await a.Cache.SetAsync("k1", 1, cancellationToken: Ct);
        await b.Cache.SetAsync("k2", 2, cancellationToken: Ct);
        await c.Cache.SetAsync("k3", 3, cancellationToken: Ct);
        await d.Cache.SetAsync("k4", 4, cancellationToken: Ct);
        Assert.Equal(["k1"], await a.Cache.KeysAsync(cancellationToken: Ct));
        Assert.Equal(["k2"], await b.Cache.KeysAsync("*", Ct));
        Assert.Equal(["k3"], await c.Cache.KeysAsync("k?", Ct));
        Assert.Equal(["k4"], await d.Cache.KeysAsync(cancellationToken: Ct));
        Assert.False(await a.Cache.HasAsync("k2", Ct));
        Assert.False(await a.Cache.DeleteAsync("k4", Ct));
        Assert.Equal(4, await d.Cache.GetAsync<int>("k4", Ct));
    }

    [Fact]
    public async Task Keys_DocumentedOverlap_EmptyPrefixSeesCacheTaggedPrefix()
    {
        // README: a prefix that starts with another prefix followed by a kind tag overlaps with it.
        var root = await OpenAsync("");
        var tagged = await OpenSecondAsync("cache:x");
        await tagged.Cache.SetAsync("k", 1, cancellationToken: Ct);
        Assert.Equal(["xcache:k"], await root.Cache.KeysAsync(cancellationToken: Ct));
        Assert.Equal(1, await root.Cache.GetAsync<int>("xcache:k", Ct));
        Assert.Equal(["k"], await tagged.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Prune_RemovesOnlyExpiredRowsOfThisPrefix()
    {
        var a = await OpenAsync("a:");
        var b = await OpenSecondAsync("b:");
        for (var i = 0; i < 3; i++)
        {
            await a.Cache.SetAsync("e" + i, i, TimeSpan.FromMilliseconds(1), Ct);
            await b.Cache.SetAsync("e" + i, i, TimeSpan.FromMilliseconds(1), Ct);
        }

        await a.Idempotency.SetAsync("i", 1, TimeSpan.FromMilliseconds(1), Ct);
        await a.Cache.SetAsync("live", 1, cancellationToken: Ct);
        Advance(1);
        Assert.Equal(new PruneResult { Cache = 3, Idempotency = 1 }, await a.PruneAsync(Ct));
        Assert.Equal(new PruneResult(), await a.PruneAsync(Ct));
        Assert.Equal(1 + 3, await Backend.CountRowsAsync(a, "go_goscope_cache"));
        Assert.Equal(new PruneResult { Cache = 3 }, await b.PruneAsync(Ct));
        Assert.True(await a.Cache.HasAsync("live", Ct));
    }

    [Fact]
    public async Task Sliding_IsSharedBetweenAdapters()
    {
        var a = await OpenAsync();
        var b = await OpenSecondAsync();
        await a.Cache.SetAsync("s", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(100) }, Ct);
        Advance(80);
        Assert.Equal(1, await b.Cache.GetAsync<int>("s", Ct));
        Advance(80);
        Assert.True(await a.Cache.HasAsync("s", Ct));
        Advance(20);
        Assert.False(await a.Cache.HasAsync("s", Ct));
    }
}
