namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The semaphore contract, the same on every backend (the in-memory provider is the model).</summary>
public abstract class SemaphoreConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task UpToTheLimit_PermitsAreGranted_ThenRefused_AndAReleaseFreesOne()
    {
        var p = await OpenAsync("pre:");
        var handles = new List<ILockHandle>();
        for (var i = 0; i < 3; i++)
        {
            handles.Add(Assert.IsAssignableFrom<ILockHandle>(await p.Semaphores.AcquireAsync("pool", 3, Ttl, $"o{i}", Ct)));
        }

        Assert.Null(await p.Semaphores.AcquireAsync("pool", 3, Ttl, "o3", Ct));
        Assert.Null(await p.Semaphores.AcquireAsync("pool", 3, Ttl, null, Ct));

        // Tokens come from the store's one counter: unique and rising, in grant order.
        Assert.Equal(handles.Select(h => h.FencingToken).Order(), handles.Select(h => h.FencingToken));
        Assert.Equal(3, handles.Select(h => h.FencingToken).Distinct().Count());
        Assert.All(handles, h => Assert.Equal("pool", h.Key));

        await handles[1].ReleaseAsync(Ct);
        Assert.False(await handles[1].IsValidAsync(Ct));
        var next = await p.Semaphores.AcquireAsync("pool", 3, Ttl, "o3", Ct);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > handles[2].FencingToken);
        Assert.Null(await p.Semaphores.AcquireAsync("pool", 3, Ttl, "o4", Ct));

        // Another key has its own permits.
        Assert.NotNull(await p.Semaphores.AcquireAsync("other", 1, Ttl, "o0", Ct));
    }

    [Fact]
    public async Task GetInfo_ShowsTheLimitAndTheLiveHolders_ByToken()
    {
        var p = await OpenAsync("pre:");
        Assert.Null(await p.Semaphores.GetInfoAsync("pool", Ct));
        var a = await p.Semaphores.AcquireAsync("pool", 2, Ttl, "a", Ct);
        Advance(10);
        var b = await p.Semaphores.AcquireAsync("pool", 2, Ttl, "b", Ct);
        var info = await p.Semaphores.GetInfoAsync("pool", Ct);
        Assert.NotNull(info);
        Assert.Equal(("pool", 2), (info.Key, info.Permits));
        Assert.Equal(["a", "b"], info.Holders.Select(h => h.Owner));
        Assert.Equal([a!.FencingToken, b!.FencingToken], info.Holders.Select(h => h.FencingToken));
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(100), info.Holders[0].ExpiresAt);
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(110), info.Holders[1].ExpiresAt);
        Assert.Equal(TimeSpan.FromSeconds(30), p.Semaphores.DefaultTtl);

        Advance(95);
        Assert.Equal(["b"], (await p.Semaphores.GetInfoAsync("pool", Ct))!.Holders.Select(h => h.Owner));
        Advance(10);
        Assert.Null(await p.Semaphores.GetInfoAsync("pool", Ct));
    }

    [Fact]
    public async Task APermitExpiresWithItsTtl_AndIsNeverRevived()
    {
        var p = await OpenAsync();
        var held = await p.Semaphores.AcquireAsync("one", 1, Ttl, "a", Ct);
        Assert.NotNull(held);
        Advance(99);
        Assert.Null(await p.Semaphores.AcquireAsync("one", 1, Ttl, "b", Ct));
        Advance(1);
        Assert.False(await held.IsValidAsync(Ct));
        Assert.False(await held.ExtendAsync(Ttl, Ct));
        var next = await p.Semaphores.AcquireAsync("one", 1, Ttl, "b", Ct);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > held.FencingToken);

        // A late release of the expired permit never removes the later one.
        await held.ReleaseAsync(Ct);
        Assert.True(await next.IsValidAsync(Ct));
    }

    [Fact]
    public async Task TheSameOwner_GetsItsPermitAgain_WithAFreshTtl_NotASecondPermit()
    {
        var p = await OpenAsync();
        var first = await p.Semaphores.AcquireAsync("pool", 2, Ttl, "me", Ct);
        Advance(60);
        var again = await p.Semaphores.AcquireAsync("pool", 2, Ttl, "me", Ct);
        Assert.Equal(first!.FencingToken, again!.FencingToken);
        Assert.Single((await p.Semaphores.GetInfoAsync("pool", Ct))!.Holders);
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(160), (await p.Semaphores.GetInfoAsync("pool", Ct))!.Holders[0].ExpiresAt);
        Assert.NotNull(await p.Semaphores.AcquireAsync("pool", 2, Ttl, "you", Ct));
    }

    [Fact]
    public async Task AnotherLimit_WhilePermitsAreLive_IsAClearError_AndTheNextGrantSetsIt()
    {
        var p = await OpenAsync();
        var held = await p.Semaphores.AcquireAsync("pool", 3, Ttl, "a", Ct);
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await p.Semaphores.AcquireAsync("pool", 5, Ttl, "b", Ct));
        Assert.Equal("permits", error.ParamName);
        Assert.Contains("limit of 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await p.Semaphores.GetInfoAsync("pool", Ct))!.Permits);

        await held!.ReleaseAsync(Ct);
        Assert.NotNull(await p.Semaphores.AcquireAsync("pool", 5, Ttl, "b", Ct));
        Assert.Equal(5, (await p.Semaphores.GetInfoAsync("pool", Ct))!.Permits);
    }

    [Fact]
    public async Task BadArguments_AreTypedErrors()
    {
        var p = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Semaphores.AcquireAsync("k", 0, Ttl, null, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Semaphores.AcquireAsync("k", 100_001, Ttl, null, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Semaphores.AcquireAsync("k", 1, TimeSpan.Zero, null, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Semaphores.AcquireAsync("k", 1, TimeSpan.FromDays(31), null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Semaphores.AcquireAsync("", 1, Ttl, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Semaphores.AcquireAsync(null!, 1, Ttl, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Semaphores.GetInfoAsync("", Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Semaphores.ForceReleaseAsync("", Ct));
        Assert.NotNull(await p.Semaphores.AcquireAsync("k", 100_000, Ttl, null, Ct));
    }

    [Fact]
    public async Task ForceRelease_FreesEveryPermit_AndTheirHandlesFindThemGone()
    {
        var p = await OpenAsync();
        var a = await p.Semaphores.AcquireAsync("pool", 2, Ttl, "a", Ct);
        var b = await p.Semaphores.AcquireAsync("pool", 2, Ttl, "b", Ct);
        await p.Semaphores.ForceReleaseAsync("pool", Ct);
        Assert.False(await a!.IsValidAsync(Ct));
        Assert.False(await b!.IsValidAsync(Ct));
        Assert.Null(await p.Semaphores.GetInfoAsync("pool", Ct));
        Assert.NotNull(await p.Semaphores.AcquireAsync("pool", 2, Ttl, "c", Ct));
    }

    [Fact]
    public async Task PermitsAndLocks_DrawTokensFromOneCounter()
    {
        var p = await OpenAsync();
        var lockHandle = await p.Locks.AcquireAsync("job", Ttl, "a", Ct);
        var permit = await p.Semaphores.AcquireAsync("job", 1, Ttl, "a", Ct);
        var lock2 = await p.Locks.AcquireAsync("job2", Ttl, "a", Ct);
        Assert.True(lockHandle!.FencingToken < permit!.FencingToken);
        Assert.True(permit.FencingToken < lock2!.FencingToken);
    }

    [Fact]
    public async Task Extend_RenewsALivePermit_AndAnAutoExtendedOneOutlivesItsTtl()
    {
        var p = await OpenAsync();
        var held = await p.Semaphores.AcquireAsync("pool", 1, Ttl, "a", Ct);
        Advance(90);
        Assert.True(await held!.ExtendAsync(Ttl, Ct));
        Advance(90);
        Assert.True(await held.IsValidAsync(Ct));
        Assert.Null(await p.Semaphores.AcquireAsync("pool", 1, Ttl, "b", Ct));

        var waited = await p.Semaphores.AcquireAsync("other", 1, new LockOptions { Ttl = TimeSpan.FromSeconds(3), AutoExtend = true, Owner = "w" }, Ct);
        Assert.NotNull(waited);
        Assert.Equal("w", waited.Owner);
        await waited.ReleaseAsync(Ct);
        Assert.Null(await p.Semaphores.GetInfoAsync("other", Ct));
    }

    [Fact]
    public async Task Operations_BeforeConnect_AreTheLifecycleError()
    {
        var p = await OpenAsync();
        await p.DisconnectAsync(Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Semaphores.AcquireAsync("k", 1, Ttl, null, Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Semaphores.GetInfoAsync("k", Ct));
    }
}

/// <summary>What the semaphore contract promises between adapters on one store (other processes, other prefixes).</summary>
public abstract class SemaphoreSharedStoreConformance<TBackend> : SemaphoreConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task Permits_AreSharedByEveryAdapterOnTheStore_AndNamespacedByPrefix()
    {
        var a = await OpenAsync("app:");
        var b = await OpenSecondAsync("app:");
        var other = await Backend.OpenAsync(Backend.Options("other:"));
        Assert.NotNull(await a.Semaphores.AcquireAsync("pool", 2, Ttl, "a", Ct));
        Assert.NotNull(await b.Semaphores.AcquireAsync("pool", 2, Ttl, "b", Ct));
        Assert.Null(await a.Semaphores.AcquireAsync("pool", 2, Ttl, "c", Ct));
        Assert.Null(await b.Semaphores.AcquireAsync("pool", 2, Ttl, "c", Ct));
        Assert.Equal(["a", "b"], (await b.Semaphores.GetInfoAsync("pool", Ct))!.Holders.Select(h => h.Owner));

        // Another prefix is another semaphore, with its own limit.
        Assert.NotNull(await other.Semaphores.AcquireAsync("pool", 1, Ttl, "c", Ct));
        Assert.Null(await other.Semaphores.AcquireAsync("pool", 1, Ttl, "d", Ct));
        await other.Semaphores.ForceReleaseAsync("pool", Ct);
        Assert.Equal(2, (await a.Semaphores.GetInfoAsync("pool", Ct))!.Holders.Count);
    }
}
