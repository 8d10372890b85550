namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// Fail-safe rows (<see cref="CacheEntryOptions.FailSafeMaxDuration"/>) and GetOrSet's options (single flight under the
/// store's lease, factory timeouts, fail-safe answers, eager refresh), the same on every backend, on a fake clock.
/// </summary>
public abstract partial class CacheConformance<TBackend>
{
    private static readonly CacheEntryOptions s_failSafe = new()
    {
        AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10),
        FailSafeMaxDuration = TimeSpan.FromMinutes(1),
    };

    private static GetOrSetOptions FailSafeOptions => new() { Entry = s_failSafe };

    private static Func<CancellationToken, ValueTask<int>> Throws(string message) => _ => throw new InvalidOperationException(message);

    [Fact]
    public async Task AFailSafeRow_PastItsExpiry_IsExpiredForEveryRead_AndReclaimedOnlyAfterTheWindow()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, s_failSafe, Ct);
        await p.Cache.SetAsync("plain", 2, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
        Assert.Equal(new RowCounts(2, 0), (await p.Admin.GetStatsAsync(Ct)).Cache);

        Advance(10_000);
        Assert.Equal(0, await p.Cache.GetAsync<int>("k", Ct));
        Assert.False((await p.Cache.TryGetAsync<int>("k", Ct)).Found);
        Assert.False(await p.Cache.HasAsync("k", Ct));
        Assert.False(await p.Cache.RefreshAsync("k", Ct));
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
        Assert.Equal(new RowCounts(0, 2), (await p.Admin.GetStatsAsync(Ct)).Cache);

        // Prune takes the plain row now, the fail-safe one only once its window has passed.
        Assert.Equal(1, (await p.PruneAsync(Ct)).Cache);
        Assert.Equal(new RowCounts(0, 1), (await p.Admin.GetStatsAsync(Ct)).Cache);
        Advance(59_999);
        Assert.Equal(0, (await p.PruneAsync(Ct)).Cache);
        Advance(1);
        Assert.Equal(1, (await p.PruneAsync(Ct)).Cache);
        Assert.Equal(new RowCounts(0, 0), (await p.Admin.GetStatsAsync(Ct)).Cache);
    }

    [Fact]
    public async Task AFailSafeRow_PastItsExpiry_IsReplacedByAdd_AndDeleteSaysItWasNotLive()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("a", 1, s_failSafe, Ct);
        await p.Cache.SetAsync("d", 1, s_failSafe, Ct);
        Assert.False(await p.Cache.AddAsync("a", 2, cancellationToken: Ct));
        Advance(10_000);
        Assert.True(await p.Cache.AddAsync("a", 3, cancellationToken: Ct));
        Assert.Equal(3, await p.Cache.GetAsync<int>("a", Ct));
        Assert.False(await p.Cache.DeleteAsync("d", Ct));

        // Gone for GetOrSet's fail-safe too: deleted, or replaced by a live row.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Cache.GetOrSetAsync("d", Throws("down"), FailSafeOptions, Ct));
        Assert.Equal(3, await p.Cache.GetOrSetAsync("a", Throws("unused"), FailSafeOptions, Ct));
    }

    [Fact]
    public async Task FailSafeOptions_AreValidated_BeforeAnythingIsStoredOrRun()
    {
        var p = await OpenAsync();
        var sliding = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(5), FailSafeMaxDuration = TimeSpan.FromMinutes(1) };
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.SetAsync("k", 1, sliding, Ct));
        foreach (var span in new[] { TimeSpan.Zero, TimeSpan.FromTicks(-1), Timeout.InfiniteTimeSpan })
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
                await p.Cache.SetAsync("k", 1, new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1), FailSafeMaxDuration = span }, Ct));
        }

        var ran = 0;
        ValueTask<int> Factory(CancellationToken ct)
        {
            ran++;
            return ValueTask.FromResult(1);
        }

        GetOrSetOptions[] bad =
        [
            new() { Entry = sliding },
            new() { EagerRefreshThreshold = 0 },
            new() { EagerRefreshThreshold = 1 },
            new() { EagerRefreshThreshold = double.NaN },
            new() { LockTimeout = TimeSpan.Zero },
            new() { LockTimeout = TimeSpan.FromSeconds(-2) },
            new() { FactorySoftTimeout = TimeSpan.Zero },
            new() { FactoryHardTimeout = Timeout.InfiniteTimeSpan },
            new() { Scope = (LockScope)7 },
            new() { Entry = new CacheEntryOptions { Tags = [""] } },
            new() { LockTimeout = TimeSpan.FromDays(50) },
            new() { FactoryHardTimeout = TimeSpan.FromDays(365) },
            new() { FactorySoftTimeout = TimeSpan.FromSeconds(2), FactoryHardTimeout = TimeSpan.FromSeconds(2) },
            new() { FailSafeThrottleDuration = TimeSpan.FromTicks(-1) },
            new() { Entry = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, EagerRefreshThreshold = 0.5 },
        ];
        foreach (var options in bad)
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.GetOrSetAsync("k", Factory, options, Ct));
        }

        Assert.Equal(0, ran);
        Assert.False(await p.Cache.HasAsync("k", Ct));

        // A fail-safe span on an entry that never expires is ignored: it never goes stale.
        await p.Cache.SetAsync("forever", 1, new CacheEntryOptions { FailSafeMaxDuration = TimeSpan.FromMinutes(1) }, Ct);
        Advance(TimeSpan.FromDays(365).TotalMilliseconds);
        Assert.Equal(1, await p.Cache.GetAsync<int>("forever", Ct));
    }

    [Fact]
    public async Task GetOrSet_WhenTheFactoryThrows_ServesTheFailSafeValue_UntilTheWindowEnds()
    {
        var p = await OpenAsync();
        var first = await p.Cache.GetOrSetResultAsync("k", _ => ValueTask.FromResult(1), FailSafeOptions, cancellationToken: Ct);
        Assert.Equal(new GetOrSetResult<int>(1, GetOrSetSource.Factory), first);
        Assert.Equal(new GetOrSetResult<int>(1, GetOrSetSource.Cache), await p.Cache.GetOrSetResultAsync("k", Throws("unused"), FailSafeOptions, cancellationToken: Ct));

        var expiredAt = NativeAotPersistence.Tests.Conformance.Backend.Start.AddSeconds(10);
        Advance(10_000);
        var stale = await p.Cache.GetOrSetResultAsync("k", Throws("down"), FailSafeOptions, cancellationToken: Ct);
        Assert.True(stale.IsStale);
        Assert.Equal(1, stale.Value);
        Assert.Equal("down", Assert.IsType<InvalidOperationException>(stale.Error).Message);
        Assert.Equal(expiredAt, stale.ExpiredAt);
        Assert.Equal(1, await p.Cache.GetOrSetAsync("k", Throws("down"), FailSafeOptions, Ct));

        // Nothing was stored by the failures: still expired for plain reads.
        Assert.False(await p.Cache.HasAsync("k", Ct));

        // A factory that works again stores a fresh value (and a fresh window).
        Advance(30_000);
        Assert.Equal(new GetOrSetResult<int>(2, GetOrSetSource.Factory), await p.Cache.GetOrSetResultAsync("k", _ => ValueTask.FromResult(2), FailSafeOptions, cancellationToken: Ct));
        Advance(10_000 + 59_999);
        Assert.Equal(2, await p.Cache.GetOrSetAsync("k", Throws("down"), FailSafeOptions, Ct));
        Advance(1);
        Assert.Equal("down", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Cache.GetOrSetAsync("k", Throws("down"), FailSafeOptions, Ct))).Message);
    }

    [Fact]
    public async Task GetOrSet_WithoutAFailSafeValue_ThrowsTheFactorysException_AndStoresNothing()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, TimeSpan.FromSeconds(10), Ct);
        Advance(10_000);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Cache.GetOrSetResultAsync("k", Throws("down"), FailSafeOptions, cancellationToken: Ct));
        Assert.False(await p.Cache.HasAsync("k", Ct));
        Assert.Equal(new RowCounts(0, 1), (await p.Admin.GetStatsAsync(Ct)).Cache);
    }

    [Fact]
    public async Task GetOrSet_HardTimeout_CancelsTheFactory_AndServesTheFailSafeValue_OrThrowsTimeoutException()
    {
        var p = await OpenAsync();
        var options = new GetOrSetOptions { Entry = s_failSafe, FactoryHardTimeout = TimeSpan.FromSeconds(2) };

        // No stale value: a TimeoutException, and the factory saw its token cancelled.
        var (call, started, cancelled) = StartHanging(p, "k", options);
        await started;
        Advance(2_000);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(async () => await call);
        Assert.Contains("FactoryHardTimeout", timeout.Message, StringComparison.Ordinal);
        Assert.True(await cancelled);
        Assert.False(await p.Cache.HasAsync("k", Ct));

        // With a stale value: that value, marked stale, with the timeout as its reason.
        await p.Cache.SetAsync("k", 5, s_failSafe, Ct);
        Advance(10_000);
        (call, started, cancelled) = StartHanging(p, "k", options);
        await started;
        Advance(2_000);
        var result = await call;
        Assert.Equal(5, result.Value);
        Assert.True(result.IsStale);
        Assert.IsType<TimeoutException>(result.Error);
        Assert.True(await cancelled);
    }

    [Theory]
    [InlineData(LockScope.Database)]
    [InlineData(LockScope.Process)]
    public async Task GetOrSet_SoftTimeout_ServesTheStaleValue_AndTheFactoryStoresItsResultInTheBackground(LockScope scope)
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 5, s_failSafe, Ct);
        Advance(10_000);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new GetOrSetOptions { Entry = s_failSafe, FactorySoftTimeout = TimeSpan.FromSeconds(1), Scope = scope };
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = p.Cache.GetOrSetResultAsync("k", async ct =>
        {
            started.TrySetResult();
            return await release.Task.WaitAsync(ct);
        }, options, cancellationToken: caller.Token).AsTask();
        await started.Task.WaitAsync(Ct);
        Advance(1_000);
        var result = await call.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal((5, GetOrSetSource.Stale), (result.Value, result.Source));
        Assert.Contains("FactorySoftTimeout", Assert.IsType<TimeoutException>(result.Error).Message, StringComparison.Ordinal);
        Assert.False(await p.Cache.HasAsync("k", Ct));

        // The caller is gone, but the factory it left in the background is not cancelled with it.
        await caller.CancelAsync();

        // A second caller meanwhile gets the stale value too, without running a factory of its own: the first still
        // holds the key (in every scope), until it finishes and its value is stored.
        var second = p.Cache.GetOrSetResultAsync("k", Throws("must not run"), options, cancellationToken: Ct).AsTask();
        await WaitUntilAsync(() => second.IsCompleted, () => Advance(1_000));
        Assert.Equal((5, GetOrSetSource.Stale), ((await second).Value, (await second).Source));
        release.SetResult(6);
        await WaitUntilAsync(async () => await p.Cache.GetAsync<int>("k", Ct) == 6);
        Assert.Equal(new GetOrSetResult<int>(6, GetOrSetSource.Cache), await p.Cache.GetOrSetResultAsync("k", Throws("unused"), options, cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrSet_AfterAFailureServedStale_TheFactoryIsNotRunAgainUntilTheThrottleEnds()
    {
        var p = await OpenAsync();
        var runs = 0;
        ValueTask<int> Failing(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            throw new InvalidOperationException("down");
        }

        var options = new GetOrSetOptions { Entry = s_failSafe, FailSafeThrottleDuration = TimeSpan.FromSeconds(5) };
        await p.Cache.SetAsync("k", 5, s_failSafe, Ct);
        Advance(10_000);
        for (var i = 0; i < 5; i++)
        {
            var stale = await p.Cache.GetOrSetResultAsync("k", Failing, options, cancellationToken: Ct);
            Assert.Equal((5, GetOrSetSource.Stale, "down"), (stale.Value, stale.Source, stale.Error!.Message));
        }

        Assert.Equal(1, runs);
        Advance(5_000);
        Assert.Equal(new GetOrSetResult<int>(6, GetOrSetSource.Factory), await p.Cache.GetOrSetResultAsync("k", _ => ValueTask.FromResult(6), options, cancellationToken: Ct));

        // Zero: every call runs the factory.
        var unthrottled = options with { FailSafeThrottleDuration = TimeSpan.Zero };
        Advance(10_000);
        await p.Cache.GetOrSetResultAsync("k", Failing, unthrottled, cancellationToken: Ct);
        await p.Cache.GetOrSetResultAsync("k", Failing, unthrottled, cancellationToken: Ct);
        Assert.Equal(3, runs);
    }

    [Fact]
    public async Task GetOrSet_HardTimeout_ReturnsAtOnce_EvenWhenTheFactoryIgnoresItsToken_AndItsLateValueIsNotStored()
    {
        var p = await OpenAsync();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = p.Cache.GetOrSetAsync("k", async _ =>
        {
            started.TrySetResult();
            return await release.Task; // deaf to its token
        }, new GetOrSetOptions { FactoryHardTimeout = TimeSpan.FromSeconds(2) }, Ct).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Advance(2_000);
        await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(30), Ct));

        // The key is free again: the next caller runs its own factory; the abandoned one's value is never stored.
        Assert.Equal(7, await p.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(7), new GetOrSetOptions(), Ct));
        release.SetResult(1);
        await Task.Delay(50, Ct);
        Assert.Equal(7, await p.Cache.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task GetOrSet_CancelledWhileTheFactoryIgnoresItsToken_ReturnsAtOnce()
    {
        var p = await OpenAsync();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = p.Cache.GetOrSetAsync("k", async _ =>
        {
            started.TrySetResult();
            return await release.Task;
        }, new GetOrSetOptions(), cts.Token).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        release.SetResult(1);
        Assert.Equal(2, await p.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(2), new GetOrSetOptions(), Ct));
    }

    [Fact]
    public async Task GetOrSet_AFactoryThatOutlivesItsAbsoluteExpiration_ReturnsItsValue_AndStoresNothing()
    {
        var p = await OpenAsync();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = new CacheEntryOptions { AbsoluteExpiration = NativeAotPersistence.Tests.Conformance.Backend.Start.AddSeconds(1) };
        var call = p.Cache.GetOrSetResultAsync("k", async _ =>
        {
            started.TrySetResult();
            return await release.Task;
        }, new GetOrSetOptions { Entry = entry }, cancellationToken: Ct).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Advance(2_000);
        release.SetResult(3);
        Assert.Equal(new GetOrSetResult<int>(3, GetOrSetSource.Factory), await call.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.False(await p.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task GetOrSet_AFactorysOwnCancellation_IsNotReportedAsALockTimeout()
    {
        var p = await OpenAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = p.Cache.GetOrSetAsync<int>("k", async _ =>
        {
            started.TrySetResult();
            await fail.Task;
            throw new TaskCanceledException("the HTTP client timed out");
        }, new GetOrSetOptions { LockTimeout = TimeSpan.FromSeconds(2) }, Ct).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Advance(3_000);
        fail.SetResult();
        var e = await Assert.ThrowsAsync<TaskCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal("the HTTP client timed out", e.Message);
    }

    [Fact]
    public async Task GetOrSet_AStaleValueOfAnotherType_IsAMiss_NotAPayloadError()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", "text", s_failSafe, Ct);
        Advance(10_000);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Cache.GetOrSetAsync("k", Throws("down"), FailSafeOptions, Ct));
        Assert.Equal(4, await p.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(4), FailSafeOptions with { FailSafeThrottleDuration = TimeSpan.Zero }, Ct));

        // A live value of another type is still a payload error, as for GetAsync.
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetOrSetResultAsync<string>("k", _ => ValueTask.FromResult("x"), FailSafeOptions, cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrSet_WaitsForTheKeysHolder_AndReadsWhatItStored_WithoutRunningItsOwnFactory()
    {
        var p = await OpenAsync();
        await using (var held = await p.Locks.AcquireAsync("nap.cache-factory:k", TimeSpan.FromMinutes(5), cancellationToken: Ct))
        {
            Assert.NotNull(held);
            var waiter = p.Cache.GetOrSetResultAsync("k", Throws("must not run"), new GetOrSetOptions(), cancellationToken: Ct).AsTask();
            await Task.Delay(50, Ct);
            Assert.False(waiter.IsCompleted);
            await p.Cache.SetAsync("k", 42, cancellationToken: Ct);
            Assert.Equal(new GetOrSetResult<int>(42, GetOrSetSource.Cache), await waiter.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        }

        // LockScope.Process: no lease, so the held key does not stop this process's factory.
        await using (var held = await p.Locks.AcquireAsync("nap.cache-factory:j", TimeSpan.FromMinutes(5), cancellationToken: Ct))
        {
            Assert.Equal(new GetOrSetResult<int>(7, GetOrSetSource.Factory),
                await p.Cache.GetOrSetResultAsync("j", _ => ValueTask.FromResult(7), new GetOrSetOptions { Scope = LockScope.Process }, cancellationToken: Ct));
        }
    }

    [Fact]
    public async Task GetOrSet_LockTimeout_ServesTheStaleValue_OrThrowsTimeoutException()
    {
        var p = await OpenAsync();
        var options = new GetOrSetOptions { Entry = s_failSafe, LockTimeout = TimeSpan.FromSeconds(3) };
        await using var held = await p.Locks.AcquireAsync("nap.cache-factory:k", TimeSpan.FromHours(1), cancellationToken: Ct);
        Assert.NotNull(held);

        var waiter = p.Cache.GetOrSetAsync("k", Throws("must not run"), options, Ct).AsTask();
        await WaitUntilAsync(() => waiter.IsCompleted, () => Advance(500));
        Assert.Contains("LockTimeout", (await Assert.ThrowsAsync<TimeoutException>(() => waiter)).Message, StringComparison.Ordinal);

        await p.Cache.SetAsync("k", 5, s_failSafe, Ct);
        Advance(10_000);
        var stale = p.Cache.GetOrSetResultAsync("k", Throws("must not run"), options, cancellationToken: Ct).AsTask();
        await WaitUntilAsync(() => stale.IsCompleted, () => Advance(500));
        Assert.Equal((5, GetOrSetSource.Stale), ((await stale).Value, (await stale).Source));
        Assert.IsType<TimeoutException>((await stale).Error);
    }

    [Fact]
    public async Task GetOrSet_CancelledWhileWaiting_ThrowsOperationCanceled_AndLeavesTheKeyAlone()
    {
        var p = await OpenAsync();
        await using var held = await p.Locks.AcquireAsync("nap.cache-factory:k", TimeSpan.FromHours(1), cancellationToken: Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiter = p.Cache.GetOrSetAsync("k", Throws("must not run"), new GetOrSetOptions(), cts.Token).AsTask();
        await Task.Delay(20, Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal("nap.cache-factory:k", Assert.Single(await p.Admin.ListLocksAsync(Ct)).Key);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetOrSet_ARunnerThatLostItsLease_ReturnsItsValue_ButDoesNotOverwriteTheNewerOne(bool withOptions)
    {
        // The runner stalls past its lease (the clock jumps past the TTL before any renewal), another owner takes the key
        // and stores a newer value; the late runner's value goes to its caller only.
        var p = await OpenAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<int> Factory(CancellationToken ct)
        {
            started.TrySetResult();
            return await release.Task.WaitAsync(ct);
        }

        var call = withOptions
            ? p.Cache.GetOrSetAsync("k", Factory, new GetOrSetOptions(), Ct).AsTask()
            : p.Cache.GetOrSetAsync("k", Factory, cancellationToken: Ct).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Advance(TimeSpan.FromMinutes(10).TotalMilliseconds);
        await using (var other = await p.Locks.AcquireAsync("nap.cache-factory:k", TimeSpan.FromMinutes(1), "other", Ct))
        {
            Assert.NotNull(other);
            await p.Cache.SetAsync("k", 99, cancellationToken: Ct);
            release.SetResult(1);
            Assert.Equal(1, await call.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        }

        Assert.Equal(99, await p.Cache.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task GetOrSet_EagerRefresh_RefreshesAHotKeyOnceInTheBackground_AndHitsNeverWait()
    {
        var p = await OpenAsync();
        var runs = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new GetOrSetOptions
        {
            Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(100), Tags = ["hot"] },
            EagerRefreshThreshold = 0.6,
        };
        async ValueTask<int> Factory(CancellationToken ct)
        {
            var run = Interlocked.Increment(ref runs);
            if (run > 1)
            {
                await release.Task.WaitAsync(ct);
            }

            return run;
        }

        Assert.Equal(1, await p.Cache.GetOrSetAsync("k", Factory, options, Ct));
        Advance(59_999);
        Assert.Equal(1, await p.Cache.GetOrSetAsync("k", Factory, options, Ct));
        Assert.Equal(1, Volatile.Read(ref runs));

        // Past 60 % of the lifetime: hits return the current value at once; one refresh runs, however many hits.
        Advance(1);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(1, await p.Cache.GetOrSetAsync("k", Factory, options, Ct));
        }

        await WaitUntilAsync(() => Volatile.Read(ref runs) == 2);
        release.SetResult();
        await WaitUntilAsync(async () => await p.Cache.GetAsync<int>("k", Ct) == 2);
        Assert.Equal(2, Volatile.Read(ref runs));

        // The refreshed entry has a fresh lifetime (and its tags): not due again until 60 % of it.
        Assert.Equal(2, await p.Cache.GetOrSetAsync("k", Factory, options, Ct));
        await Task.Delay(50, Ct);
        Assert.Equal(2, Volatile.Read(ref runs));
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("hot", Ct));
    }

    [Fact]
    public async Task GetOrSet_AFailedEagerRefresh_LeavesTheCurrentValue()
    {
        var p = await OpenAsync();
        var options = new GetOrSetOptions { Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) }, EagerRefreshThreshold = 0.5 };
        Assert.Equal(1, await p.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(1), options, Ct));
        Advance(5_000);
        var tried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Equal(1, await p.Cache.GetOrSetAsync<int>("k", _ =>
        {
            tried.TrySetResult();
            throw new InvalidOperationException("down");
        }, options, Ct));
        await tried.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await Task.Delay(50, Ct);
        Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task GetOrSet_StoresTheEntryOptions_TagsAndSlidingExpiry()
    {
        var p = await OpenAsync();
        var options = new GetOrSetOptions { Entry = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10), Tags = ["t"] } };
        Assert.Equal(1, await p.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(1), options, Ct));
        Advance(9_000);
        Assert.Equal(1, await p.Cache.GetOrSetAsync("k", Throws("unused"), options, Ct)); // a hit slides it
        Advance(9_000);
        Assert.True(await p.Cache.HasAsync("k", Ct));
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("t", Ct));
    }

    private static (Task<GetOrSetResult<int>> Call, Task Started, Task<bool> Cancelled) StartHanging(IPersistenceAdapter p, string key, GetOrSetOptions options)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = p.Cache.GetOrSetResultAsync(key, async ct =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult(ct.IsCancellationRequested);
                throw;
            }

            return 0;
        }, options, cancellationToken: Ct).AsTask();
        return (call, started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct), cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    /// <summary>Polls (for up to 30 s of real time) until <paramref name="done"/>, doing <paramref name="step"/> between looks.</summary>
    private static async Task WaitUntilAsync(Func<bool> done, Action? step = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the condition");
            step?.Invoke();
            await Task.Delay(10, Ct);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the condition");
            await Task.Delay(10, Ct);
        }
    }
}
