namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The lock contract, for both scopes, the same on every backend.</summary>
public abstract class LockConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Acquire_GivesHandleAndInfo(LockScope scope)
    {
        var p = await OpenAsync("pre:", scope);
        await using var handle = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Assert.NotNull(handle);
        Assert.Equal("job", handle.Key);
        Assert.Equal("me", handle.Owner);
        Assert.True(handle.FencingToken > 0);
        Assert.True(await handle.IsValidAsync(Ct));
        var info = await p.Locks.GetInfoAsync("job", Ct);
        Assert.Equal(new LockInfo("job", "me", Conformance.Backend.Start.AddMilliseconds(100), handle.FencingToken), info! with { Holder = null });

        // Database-scope rows record the holder process (this one); Process-scope locks have no row to record it in.
        Assert.Equal(scope == LockScope.Database ? new LockHolder(Environment.ProcessId, true, false) : null, info.Holder);
        Assert.Null(await p.Locks.GetInfoAsync("other", Ct));
        Assert.Equal(TimeSpan.FromSeconds(30), p.Locks.DefaultTtl);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Acquire_HeldByAnotherOwner_ReturnsNull(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var mine = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Assert.NotNull(mine);
        Assert.Null(await p.Locks.AcquireAsync("job", Ttl, "you", Ct));
        Assert.Null(await p.Locks.AcquireAsync("job", Ttl, null, Ct));
        Assert.Equal("me", (await p.Locks.GetInfoAsync("job", Ct))!.Owner);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Lock_IsReentrantForSameOwner(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var first = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(60);
        var second = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(first.FencingToken, second.FencingToken);

        // A fresh TTL from the second acquisition.
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(160), (await p.Locks.GetInfoAsync("job", Ct))!.ExpiresAt);
        Advance(60);
        Assert.True(await second.IsValidAsync(Ct));

        // Not counted: one release releases.
        await second.ReleaseAsync(Ct);
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
        Assert.NotNull(await p.Locks.AcquireAsync("job", Ttl, "you", Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Lock_IsHeldUntilExpiry_ThenTakenOver(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var first = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(99);
        Assert.Null(await p.Locks.AcquireAsync("job", Ttl, "you", Ct));
        Assert.NotNull(await p.Locks.GetInfoAsync("job", Ct));
        Advance(1);
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
        Assert.False(await first!.IsValidAsync(Ct));
        var second = await p.Locks.AcquireAsync("job", Ttl, "you", Ct);
        Assert.NotNull(second);
        Assert.True(second.FencingToken > first.FencingToken);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task ExtendAsync_DoesNotReviveExpiredLock(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var handle = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(100);
        Assert.False(await p.Locks.ExtendAsync("job", TimeSpan.FromMinutes(1), "me", Ct));
        Assert.False(await handle!.ExtendAsync(TimeSpan.FromMinutes(1), Ct));
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
        Assert.NotNull(await p.Locks.AcquireAsync("job", Ttl, "you", Ct));
        Assert.True(handle.HandleLost.IsCancellationRequested);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Extend_LiveLock_SetsExpiryFromNow(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var handle = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(60);
        Assert.True(await p.Locks.ExtendAsync("job", TimeSpan.FromMilliseconds(100), "me", Ct));
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(160), (await p.Locks.GetInfoAsync("job", Ct))!.ExpiresAt);
        Advance(60);
        Assert.True(await handle!.ExtendAsync(TimeSpan.FromMilliseconds(50), Ct));
        Advance(49);
        Assert.True(await handle.IsValidAsync(Ct));
        Assert.False(handle.HandleLost.IsCancellationRequested);
        Advance(1);
        Assert.False(await handle.IsValidAsync(Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Extend_ByAnotherOwnerOrMissing_IsFalse(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Assert.False(await p.Locks.ExtendAsync("job", Ttl, "you", Ct));
        Assert.False(await p.Locks.ExtendAsync("none", Ttl, "me", Ct));
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(100), (await p.Locks.GetInfoAsync("job", Ct))!.ExpiresAt);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Release_OnlyByOwner_AndIdempotent(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var stale = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(100);
        var current = await p.Locks.AcquireAsync("job", Ttl, "you", Ct);
        Assert.NotNull(current);

        // The stale holder's release must not remove the new holder's lock.
        await stale!.ReleaseAsync(Ct);
        await stale.ReleaseAsync(Ct);
        Assert.Equal("you", (await p.Locks.GetInfoAsync("job", Ct))!.Owner);

        await current.ReleaseAsync(Ct);
        await current.ReleaseAsync(Ct);
        await current.DisposeAsync();
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
        Assert.False(await current.IsValidAsync(Ct));
        Assert.False(await current.ExtendAsync(Ttl, Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Release_OfAnEndedHandle_LeavesTheSameOwnersLaterGrant(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var ended = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(100);

        // The same owner again (a retry, a restarted loop): a new grant, which the ended handle must not release.
        var current = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Assert.NotNull(current);
        Assert.True(current.FencingToken > ended!.FencingToken);
        await ended.ReleaseAsync(Ct);
        Assert.Equal(current.FencingToken, (await p.Locks.GetInfoAsync("job", Ct))?.FencingToken);
        Assert.Null(await p.Locks.AcquireAsync("job", Ttl, "you", Ct));

        await current.ReleaseAsync(Ct);
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task TheStoresRenewalAndRelease_OfAnEarlierGrant_NeverTouchTheSameOwnersLaterOne(LockScope scope)
    {
        // What a late renewal or release of an ended lease sends to the store: the grant's token keeps it off a later grant.
        var p = await OpenAsync(lockScope: scope);
        var store = (ILeaseStore)p.Locks;
        var earlier = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Advance(100);
        var later = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        Assert.True(later!.FencingToken > earlier!.FencingToken);
        var expiresAt = (await p.Locks.GetInfoAsync("job", Ct))!.ExpiresAt;

        Assert.Equal(0, await store.RenewAsync("job", "me", earlier.FencingToken, 60_000, Ct));
        Assert.False(await store.ReleaseAsync("job", "me", earlier.FencingToken, 0, Ct));
        Assert.Equal(0, await store.HeldUntilAsync("job", "me", earlier.FencingToken, Ct));
        Assert.Equal(expiresAt, (await p.Locks.GetInfoAsync("job", Ct))!.ExpiresAt);

        // Grants say when they renewed a live row of the same owner (which another handle may use): only then.
        var again = await store.GrantAsync("job", "me", 100, Ct);
        Assert.Equal((later.FencingToken, true), (again.Token, again.Reentrant));
        Assert.False((await store.GrantAsync("fresh", "me", 100, Ct)).Reentrant);
        Assert.False((await store.GrantAsync("fresh", "you", 100, Ct)).Reentrant);
        Advance(100);
        Assert.False((await store.GrantAsync("fresh", "me", 100, Ct)).Reentrant);
        later = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        expiresAt = (await p.Locks.GetInfoAsync("job", Ct))!.ExpiresAt;

        // The later grant's own token does all three.
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), await store.HeldUntilAsync("job", "me", later!.FencingToken, Ct));
        Assert.NotEqual(0, await store.RenewAsync("job", "me", later.FencingToken, 60_000, Ct));
        Assert.True(await store.ReleaseAsync("job", "me", later.FencingToken, 0, Ct));
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task ForceRelease_RemovesWhoeverHolds(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var handle = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        await p.Locks.ForceReleaseAsync("job", Ct);
        await p.Locks.ForceReleaseAsync("job", Ct);
        await p.Locks.ForceReleaseAsync("never-held", Ct);
        Assert.Null(await p.Locks.GetInfoAsync("job", Ct));
        var next = await p.Locks.AcquireAsync("job", Ttl, "you", Ct);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > handle!.FencingToken);
        Assert.False(await handle.IsValidAsync(Ct));
        Assert.True(handle.HandleLost.IsCancellationRequested);
        Assert.False(await handle.ExtendAsync(Ttl, Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task FencingToken_IncreasesAcrossHolders(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var last = 0L;
        for (var i = 0; i < 20; i++)
        {
            var handle = await p.Locks.AcquireAsync(i % 3 == 0 ? "a" : "b", Ttl, "owner" + i, Ct);
            Assert.NotNull(handle);
            Assert.True(handle.FencingToken > last, $"token {handle.FencingToken} after {last}");
            last = handle.FencingToken;
            if (i % 2 == 0)
            {
                await handle.ReleaseAsync(Ct);
            }
            else
            {
                Advance(100);
                await p.PruneAsync(Ct);
            }
        }
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task HandleLost_FiresOnExpiry(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var handle = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        var lost = handle!.HandleLost;
        Assert.False(lost.IsCancellationRequested);
        Advance(50);
        Assert.True(await handle.ExtendAsync(Ttl, Ct));
        Advance(99);
        Assert.False(lost.IsCancellationRequested);
        Advance(1);

        // A server backend confirms with the store that no other handle of this owner renewed the lock, so the event
        // may fire a round trip after the expiry rather than at it.
        await WhenCancelled(lost);
        Assert.True(lost.IsCancellationRequested);
    }

    private static async Task WhenCancelled(CancellationToken token)
    {
        var fired = new TaskCompletionSource();
        await using (token.Register(fired.SetResult))
        {
            await fired.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task HandleLost_FiresOnRelease_AndWhenAnotherOwnerIsSeen(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var released = await p.Locks.AcquireAsync("a", Ttl, "me", Ct);
        var lost = released!.HandleLost;
        await released.ReleaseAsync(Ct);
        Assert.True(lost.IsCancellationRequested);

        var taken = await p.Locks.AcquireAsync("b", Ttl, "me", Ct);
        var takenLost = taken!.HandleLost;
        await p.Locks.ForceReleaseAsync("b", Ct);
        await p.Locks.AcquireAsync("b", Ttl, "you", Ct);
        Assert.False(takenLost.IsCancellationRequested);
        Assert.False(await taken.IsValidAsync(Ct));
        Assert.True(takenLost.IsCancellationRequested);

        // A token asked for after the fact is already cancelled.
        Assert.True(released.HandleLost.IsCancellationRequested);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Owners_AreGeneratedUnique(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var owners = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 50; i++)
        {
            var handle = await p.Locks.AcquireAsync("k" + i, Ttl, cancellationToken: Ct);
            Assert.False(string.IsNullOrEmpty(handle!.Owner));
            Assert.True(owners.Add(handle.Owner));
        }
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task LockTtl_MustBeFiniteAndPositive(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        foreach (var ttl in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-5), Timeout.InfiniteTimeSpan, TimeSpan.MaxValue, TimeSpan.MinValue })
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Locks.AcquireAsync("k", ttl, "me", Ct));
        }

        Assert.Null(await p.Locks.GetInfoAsync("k", Ct));
        var handle = await p.Locks.AcquireAsync("k", TimeSpan.FromTicks(1), "me", Ct);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Locks.ExtendAsync("k", TimeSpan.Zero, "me", Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await handle!.ExtendAsync(Timeout.InfiniteTimeSpan, Ct));

        // Below 1 ms counts as 1 ms.
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(1), (await p.Locks.GetInfoAsync("k", Ct))!.ExpiresAt);
        Advance(1);
        Assert.Null(await p.Locks.GetInfoAsync("k", Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task InvalidKeysAndOwners_Throw(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        foreach (var bad in new[] { null, "", "\uD800" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.AcquireAsync(bad!, Ttl, "me", Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.ExtendAsync(bad!, Ttl, "me", Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.ForceReleaseAsync(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.GetInfoAsync(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.ExtendAsync("k", Ttl, bad!, Ct));
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.AcquireAsync("k", Ttl, "", Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Locks.AcquireAsync("k", Ttl, "\uDC00", Ct));
        Assert.Null(await p.Locks.GetInfoAsync("k", Ct));
    }

    [Fact]
    public async Task DatabaseLocks_RaceGivesExactlyOneHolder()
    {
        var a = await OpenAsync("race:", LockScope.Database);
        var adapters = new List<IPersistenceAdapter> { a };
        if (Backend.SupportsSecondAdapter)
        {
            adapters.Add(await Backend.OpenAsync(Backend.Options("race:", LockScope.Database)));
        }

        var inside = 0;
        var maxInside = 0;
        var entries = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var locks = adapters[t % adapters.Count].Locks;
            for (var i = 0; i < 25; i++)
            {
                ILockHandle? handle;
                var spins = 0;
                while ((handle = await locks.AcquireAsync("hot", TimeSpan.FromMinutes(5), $"t{t}", Ct)) is null)
                {
                    if (++spins % 8 == 0)
                    {
                        await Task.Delay(1, Ct);
                    }
                    else
                    {
                        await Task.Yield();
                    }
                }

                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                Interlocked.Increment(ref entries);
                await Task.Yield();
                Thread.SpinWait(200);
                Interlocked.Decrement(ref inside);
                await handle.ReleaseAsync(Ct);
            }
        }, Ct)));
        Assert.Equal(1, maxInside);
        Assert.Equal(200, entries);
        Assert.Null(await a.Locks.GetInfoAsync("hot", Ct));
    }

    [Fact]
    public async Task DatabaseLocks_ArePruned()
    {
        var p = await OpenAsync("x:", LockScope.Database);
        await p.Locks.AcquireAsync("a", Ttl, cancellationToken: Ct);
        await p.Locks.AcquireAsync("b", Ttl * 2, cancellationToken: Ct);
        Advance(100);
        Assert.Equal(new PruneResult { Locks = 1 }, await p.PruneAsync(Ct));
        Assert.Equal(1, await Backend.CountRowsAsync(p, "go_goscope_locks"));
    }

    [Fact]
    public async Task ProcessLocks_ArePruned()
    {
        var p = await OpenAsync("x:", LockScope.Process);
        await p.Locks.AcquireAsync("a", Ttl, cancellationToken: Ct);
        await p.Locks.AcquireAsync("b", Ttl * 2, cancellationToken: Ct);
        Advance(100);
        Assert.Equal(new PruneResult { Locks = 1 }, await p.PruneAsync(Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task Handle_DisposedAfterDisconnect_DoesNotThrow(LockScope scope)
    {
        var p = await OpenAsync(lockScope: scope);
        var handle = await p.Locks.AcquireAsync("job", Ttl, "me", Ct);
        await p.DisconnectAsync(Ct);
        await handle!.DisposeAsync();
        Assert.True(handle.HandleLost.IsCancellationRequested);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task HandleLost_WorksForTheLongestTtl_OnTheSystemClock(LockScope scope)
    {
        // 30 days, the cap, on the system clock: the handle's timer must take it (system timers stop at ~49.7 days).
        var p = await Backend.OpenAsync(Backend.Options(lockScope: scope, time: TimeProvider.System));
        var handle = await p.Locks.AcquireAsync("long", TimeSpan.FromDays(30), "me", Ct);
        Assert.False(handle!.HandleLost.IsCancellationRequested);
        Assert.True(await handle.ExtendAsync(TimeSpan.FromDays(30), Ct));
        Assert.False(handle.HandleLost.IsCancellationRequested);
        await handle.ReleaseAsync(Ct);
        Assert.True(handle.HandleLost.IsCancellationRequested);
    }

    [Theory]
    [InlineData(LockScope.Process, 0)]
    [InlineData(LockScope.Database, 1)]
    [InlineData(LockScope.Database, 2)]
    [InlineData(LockScope.Process, 3)]
    [InlineData(LockScope.Database, 4)]
    public async Task TtlsOverThirtyDays_AreRefused_AndNothingIsHeld(LockScope scope, int which)
    {
        TimeSpan[] tooLong =
        [
            TimeSpan.FromDays(30) + TimeSpan.FromTicks(1),
            TimeSpan.FromDays(30) + TimeSpan.FromMilliseconds(1),
            TimeSpan.FromDays(365 * 10_000),
            TimeSpan.MaxValue - TimeSpan.FromTicks(1),
            TimeSpan.MaxValue,
        ];
        var ttl = tooLong[which];
        var p = await OpenAsync(lockScope: scope);
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Locks.AcquireAsync("long", ttl, "me", Ct));
        Assert.Contains("30 days", error.Message, StringComparison.Ordinal);
        Assert.Null(await p.Locks.GetInfoAsync("long", Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Locks.AcquireAsync("long", new LockOptions { Ttl = ttl }, Ct));

        var handle = await p.Locks.AcquireAsync("long", TimeSpan.FromDays(30), "me", Ct);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await handle!.ExtendAsync(ttl, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Locks.ExtendAsync("long", ttl, "me", Ct));
        Assert.Equal(Conformance.Backend.Start.AddDays(30), (await p.Locks.GetInfoAsync("long", Ct))!.ExpiresAt);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryPersistence(new PersistenceAdapterOptions { DefaultLockTtl = ttl }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SqliteAdapter.Create(":memory:", new PersistenceAdapterOptions { DefaultLockTtl = ttl }));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
