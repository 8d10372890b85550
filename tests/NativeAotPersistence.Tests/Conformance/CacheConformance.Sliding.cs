namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The cache contract's sliding and absolute expiry (<see cref="CacheEntryOptions"/>), the same on every backend.</summary>
public abstract partial class CacheConformance<TBackend>
{
    [Fact]
    public async Task Sliding_EveryHitRenews_UntilNoReadForAWholeWindow()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("s", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(100) }, Ct);
        for (var i = 0; i < 5; i++)
        {
            Advance(99);
            Assert.Equal(1, await p.Cache.GetAsync<int>("s", Ct));
        }

        Advance(99);
        Assert.True((await p.Cache.TryGetAsync<int>("s", Ct)).Found);
        Advance(100);
        Assert.False((await p.Cache.TryGetAsync<int>("s", Ct)).Found);
        Assert.False(await p.Cache.HasAsync("s", Ct));
    }

    [Fact]
    public async Task Sliding_NeverPassesTheAbsoluteExpiry()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("s", "v", new CacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMilliseconds(100),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(250),
        }, Ct);
        Advance(90);
        Assert.Equal("v", await p.Cache.GetAsync<string>("s", Ct));
        Advance(90);
        Assert.Equal("v", await p.Cache.GetAsync<string>("s", Ct));
        Advance(69);
        Assert.Equal("v", await p.Cache.GetAsync<string>("s", Ct));
        Advance(1);
        Assert.Null(await p.Cache.GetAsync<string>("s", Ct));

        // An absolute point in time alone behaves as a TTL, to the millisecond.
        await p.Cache.SetAsync("a", "v", new CacheEntryOptions { AbsoluteExpiration = Time.GetUtcNow().AddMilliseconds(10) }, Ct);
        Advance(9);
        Assert.True(await p.Cache.HasAsync("a", Ct));
        Advance(1);
        Assert.False(await p.Cache.HasAsync("a", Ct));
    }

    [Fact]
    public async Task Sliding_HasAndKeysDoNotRenew_RefreshDoes()
    {
        var p = await OpenAsync();
        var sliding = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(100) };
        await p.Cache.SetAsync("h", 1, sliding, Ct);
        await p.Cache.SetAsync("r", 1, sliding, Ct);
        Advance(60);
        Assert.True(await p.Cache.HasAsync("h", Ct));
        Assert.Equal(["h", "r"], await p.Cache.KeysAsync(cancellationToken: Ct));
        Assert.True(await p.Cache.RefreshAsync("r", Ct));
        Advance(60);
        Assert.False(await p.Cache.HasAsync("h", Ct));
        Assert.True(await p.Cache.HasAsync("r", Ct));
        Assert.False(await p.Cache.RefreshAsync("h", Ct));
        Assert.False(await p.Cache.RefreshAsync("missing", Ct));
    }

    [Fact]
    public async Task Refresh_OfAnEntryWithoutSlidingExpiry_KeepsItsExpiry()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("ttl", 1, TimeSpan.FromMilliseconds(100), Ct);
        await p.Cache.SetAsync("forever", 1, cancellationToken: Ct);
        Advance(60);
        Assert.True(await p.Cache.RefreshAsync("ttl", Ct));
        Assert.True(await p.Cache.RefreshAsync("forever", Ct));
        Assert.Equal(1, await p.Cache.GetAsync<int>("ttl", Ct));
        Advance(40);
        Assert.False(await p.Cache.HasAsync("ttl", Ct));
        Assert.True(await p.Cache.HasAsync("forever", Ct));
    }

    [Fact]
    public async Task PlainSetOrAdd_ReplacesASlidingEntry_WhichThenStopsSliding()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(50) }, Ct);
        await p.Cache.SetAsync("k", 2, TimeSpan.FromMilliseconds(100), Ct);
        Advance(60);
        Assert.Equal(2, await p.Cache.GetAsync<int>("k", Ct));
        Advance(40);
        Assert.False(await p.Cache.HasAsync("k", Ct));

        await p.Cache.SetAsync("a", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(50) }, Ct);
        Advance(50);
        Assert.True(await p.Cache.AddAsync("a", 3, cancellationToken: Ct));
        Advance(1000);
        Assert.Equal(3, await p.Cache.GetAsync<int>("a", Ct));
    }

    [Fact]
    public async Task EntryOptions_BadValues_AreRejected_AndStoreNothing()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
        CacheEntryOptions[] bad =
        [
            new() { AbsoluteExpiration = Time.GetUtcNow() },
            new() { AbsoluteExpiration = Time.GetUtcNow().AddSeconds(-1) },
            new() { AbsoluteExpirationRelativeToNow = TimeSpan.Zero },
            new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(-1) },
            new() { SlidingExpiration = TimeSpan.Zero },
            new() { SlidingExpiration = Timeout.InfiniteTimeSpan },
        ];
        foreach (var options in bad)
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Cache.SetAsync("k", 2, options, Ct));
        }

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Cache.SetAsync("k", 2, (CacheEntryOptions)null!, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.SetAsync("", 2, new CacheEntryOptions(), Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.RefreshAsync("", Ct));
        Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));

        // No expiry at all keeps the entry for ever.
        await p.Cache.SetAsync("k", 3, new CacheEntryOptions(), Ct);
        Advance(TimeSpan.FromDays(3650).TotalMilliseconds);
        Assert.Equal(3, await p.Cache.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task ExpiredSlidingRows_AreReclaimedByWritesToo()
    {
        var p = await OpenAsync();
        var sliding = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(5) };
        for (var i = 0; i < 2_000; i++)
        {
            await p.Cache.SetAsync("k" + i, i, sliding, Ct);
            Advance(1);
        }

        // The CacheEntryOptions overload drives the same amortized sweep as the TTL one: not 2,000 rows.
        Assert.InRange(await Backend.CountRowsAsync(p, "go_goscope_cache"), 1, 200);
        Assert.Equal(4, (await p.Cache.KeysAsync(cancellationToken: Ct)).Count);
    }
}
