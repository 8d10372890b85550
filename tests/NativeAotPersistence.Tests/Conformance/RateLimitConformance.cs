using System.Threading.RateLimiting;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// The store-backed rate limiters (<see cref="PersistentRateLimiter"/>), the same on every backend: side by side with
/// the framework's own limiters (built with <c>AutoReplenishment = true</c> and stepped by their timer's callback, ours
/// on the backend's fake clock advanced by the same period), the same grants, refusals and <c>RetryAfter</c>.
/// </summary>
/// <remarks>
/// Ours replenish as the framework's do with <c>AutoReplenishment = true</c>: once per period, on a grid. (With
/// <c>AutoReplenishment = false</c> the framework's token bucket fills continuously by the real time elapsed between
/// <c>TryReplenish()</c> calls, which no fake clock can step.) So the framework's limiters here auto-replenish with a
/// period of an hour, whose timer never fires during a test, and are stepped by their own test hook
/// (<c>ReplenishInternal(long)</c>, what their timer calls) at timestamps one period apart, while the fake clock moves
/// on by the same period.
/// </remarks>
public abstract class RateLimitConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    /// <summary>The period of the side-by-side runs: long enough that the framework's timers never fire in a test.</summary>
    private static readonly TimeSpan Step = TimeSpan.FromHours(1);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task TokenBucket_MatchesTheFrameworkLimiter(int seed)
    {
        var p = await OpenAsync("rl:");
        using var ours = PersistentRateLimiter.CreateTokenBucket(p, "bucket", new TokenBucketRateLimiterOptions
        {
            TokenLimit = 5, TokensPerPeriod = 2, ReplenishmentPeriod = Step,
        });
        using var theirs = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 5, TokensPerPeriod = 2, ReplenishmentPeriod = Step, AutoReplenishment = true,
        });
        await SideBySideAsync(ours, theirs, 5, Step, seed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task FixedWindow_MatchesTheFrameworkLimiter(int seed)
    {
        var p = await OpenAsync("rl:");
        using var ours = PersistentRateLimiter.CreateFixedWindow(p, "fixed", new FixedWindowRateLimiterOptions { PermitLimit = 4, Window = Step });
        using var theirs = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = 4, Window = Step, AutoReplenishment = true });
        await SideBySideAsync(ours, theirs, 4, Step, seed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SlidingWindow_MatchesTheFrameworkLimiter(int seed)
    {
        var p = await OpenAsync("rl:");
        var window = 3 * Step;
        using var ours = PersistentRateLimiter.CreateSlidingWindow(p, "sliding", new SlidingWindowRateLimiterOptions { PermitLimit = 6, Window = window, SegmentsPerWindow = 3 });
        using var theirs = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = 6, Window = window, SegmentsPerWindow = 3, AutoReplenishment = true,
        });
        await SideBySideAsync(ours, theirs, 6, Step, seed);
    }

    [Fact]
    public async Task ARefusal_CarriesRetryAfter_AndASuccessNoMetadata()
    {
        var p = await OpenAsync();
        using var bucket = PersistentRateLimiter.CreateTokenBucket(p, "b", new TokenBucketRateLimiterOptions { TokenLimit = 4, TokensPerPeriod = 1, ReplenishmentPeriod = Period });
        using (var lease = bucket.AttemptAcquire(4))
        {
            Assert.True(lease.IsAcquired);
            Assert.False(lease.TryGetMetadata(MetadataName.RetryAfter, out _));
        }

        using (var refused = bucket.AttemptAcquire(3))
        {
            Assert.False(refused.IsAcquired);
            Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
            Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);
            Assert.Equal([MetadataName.RetryAfter.Name], refused.MetadataNames);
        }

        using var window = PersistentRateLimiter.CreateFixedWindow(p, "w", new FixedWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) });
        Assert.True(window.AttemptAcquire(2).IsAcquired);
        Assert.True(window.AttemptAcquire(1).TryGetMetadata(MetadataName.RetryAfter, out var windowRetry));
        Assert.Equal(TimeSpan.FromMinutes(1), windowRetry);

        var stats = window.GetStatistics()!;
        Assert.Equal((0L, 1L, 1L, 0L), (stats.CurrentAvailablePermits, stats.TotalSuccessfulLeases, stats.TotalFailedLeases, stats.CurrentQueuedCount));
    }

    [Fact]
    public async Task Arguments_AreValidated()
    {
        var p = await OpenAsync();
        var bucket = new TokenBucketRateLimiterOptions { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = Period };
        Assert.Throws<ArgumentNullException>(() => PersistentRateLimiter.CreateTokenBucket(null!, "k", bucket));
        Assert.Throws<ArgumentNullException>(() => PersistentRateLimiter.CreateTokenBucket(p, "k", null!));
        Assert.ThrowsAny<ArgumentException>(() => PersistentRateLimiter.CreateTokenBucket(p, "", bucket));
        Assert.ThrowsAny<ArgumentException>(() => PersistentRateLimiter.CreateTokenBucket(p, null!, bucket));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateTokenBucket(p, "k", new TokenBucketRateLimiterOptions { TokenLimit = 0, TokensPerPeriod = 1, ReplenishmentPeriod = Period }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateTokenBucket(p, "k", new TokenBucketRateLimiterOptions { TokenLimit = 1, TokensPerPeriod = 0, ReplenishmentPeriod = Period }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateTokenBucket(p, "k", new TokenBucketRateLimiterOptions { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateTokenBucket(p, "k", new TokenBucketRateLimiterOptions { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = Period, QueueLimit = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateFixedWindow(p, "k", new FixedWindowRateLimiterOptions { PermitLimit = 0, Window = Period }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateFixedWindow(p, "k", new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromTicks(1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateSlidingWindow(p, "k", new SlidingWindowRateLimiterOptions { PermitLimit = 1, Window = Period, SegmentsPerWindow = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistentRateLimiter.CreateSlidingWindow(p, "k", new SlidingWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromMilliseconds(2), SegmentsPerWindow = 4 }));

        var limiter = PersistentRateLimiter.CreateTokenBucket(p, "k", bucket);
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(-1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await limiter.AcquireAsync(2, Ct));
        Assert.Equal(Period, ((ReplenishingRateLimiter)limiter).ReplenishmentPeriod);
        Assert.True(((ReplenishingRateLimiter)limiter).IsAutoReplenishing);
        Assert.NotNull(limiter.IdleDuration);
        limiter.Dispose();
        Assert.Throws<ObjectDisposedException>(() => limiter.AttemptAcquire(1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await limiter.AcquireAsync(1, Ct));
    }

    [Fact]
    public async Task WithAQueue_AcquireAsyncWaitsForTheStore_RefusesPastTheQueueLimit_AndHonorsCancellationAndDisposal()
    {
        var p = await OpenAsync();
        var limiter = PersistentRateLimiter.CreateFixedWindow(p, "q", new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = Period, QueueLimit = 2 });
        Assert.True((await limiter.AcquireAsync(1, Ct)).IsAcquired);

        var waiting = limiter.AcquireAsync(1, Ct).AsTask();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cancelled = limiter.AcquireAsync(1, cancel.Token).AsTask();
        await WaitForAsync(() => limiter.GetStatistics()!.CurrentQueuedCount == 2);
        Assert.Null(limiter.IdleDuration);

        // The queue is full: refused at once, with the framework's RetryAfter (the queued permits count: 3 windows).
        using (var refused = await limiter.AcquireAsync(1, Ct))
        {
            Assert.False(refused.IsAcquired);
            Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
            Assert.Equal(3 * Period, retryAfter);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        // The next window grants the waiter (it polls the store on the adapter's clock).
        Assert.False(waiting.IsCompleted);
        for (var i = 0; i < 200 && !waiting.IsCompleted; i++)
        {
            Advance(50);
            await Task.Delay(5, Ct);
        }

        Assert.True((await waiting).IsAcquired);
        Assert.Equal(0, limiter.GetStatistics()!.CurrentQueuedCount);

        // Disposal refuses whoever still waits.
        Advance(Period.TotalMilliseconds);
        Assert.True(limiter.AttemptAcquire(1).IsAcquired);
        var orphan = limiter.AcquireAsync(1, Ct).AsTask();
        await limiter.DisposeAsync();
        Assert.False((await orphan).IsAcquired);
    }

    [Fact]
    public async Task AskingForNoPermits_WaitsForOneToBeAvailable_EvenWithoutAQueue()
    {
        // As the framework's limiters do (QueueLimit 0 included): AttemptAcquire(0) only asks, AcquireAsync(0) waits.
        var p = await OpenAsync();
        using var limiter = PersistentRateLimiter.CreateTokenBucket(p, "zero", new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = Period, QueueLimit = 0,
        });
        Assert.True(limiter.AttemptAcquire(0).IsAcquired);
        Assert.True(limiter.AttemptAcquire(1).IsAcquired);
        Assert.False(limiter.AttemptAcquire(0).IsAcquired);
        var waiting = limiter.AcquireAsync(0, Ct).AsTask();
        await Task.Delay(20, Ct);
        Assert.False(waiting.IsCompleted);
        for (var i = 0; i < 200 && !waiting.IsCompleted; i++)
        {
            Advance(50);
            await Task.Delay(5, Ct);
        }

        Assert.True((await waiting).IsAcquired);
        Assert.True(limiter.AttemptAcquire(1).IsAcquired);
    }

    [Fact]
    public async Task TheStateIsCounted_Reset_AndPrunedOnceIdle()
    {
        var p = await OpenAsync("rl:");
        using var limiter = PersistentRateLimiter.CreateFixedWindow(p, "k", new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = Period });
        Assert.False(await p.RateLimits.ResetAsync("k", Ct));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.False(limiter.AttemptAcquire().IsAcquired);
        Assert.Equal(new RowCounts(1, 0), (await p.Admin.GetStatsAsync(Ct)).RateLimits);

        Assert.True(await p.RateLimits.ResetAsync("k", Ct));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.Equal(0, (await p.PruneAsync(Ct)).RateLimits);

        Advance(Period.TotalMilliseconds);
        Assert.Equal(new RowCounts(0, 1), (await p.Admin.GetStatsAsync(Ct)).RateLimits);
        Assert.Equal(1, (await p.PruneAsync(Ct)).RateLimits);
        Assert.Equal(default, (await p.Admin.GetStatsAsync(Ct)).RateLimits);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
    }

    [Fact]
    public async Task PartitionedLimiters_GiveEachPartitionItsOwnBudget_KeptInTheStore()
    {
        var p = await OpenAsync("rl:");
        static FixedWindowRateLimiterOptions Two(string key) => new() { PermitLimit = 2, Window = Period };
        using var limiter = PartitionedRateLimiter.Create<string, string>(user => PersistentRateLimitPartition.GetFixedWindowLimiter(p, "api:" + user, Two));
        Assert.True(limiter.AttemptAcquire("alice").IsAcquired);
        Assert.True((await limiter.AcquireAsync("alice", 1, Ct)).IsAcquired);
        using (var refused = limiter.AttemptAcquire("alice"))
        {
            Assert.False(refused.IsAcquired);
            Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
            Assert.Equal(Period, retryAfter);
        }

        Assert.True(limiter.AttemptAcquire("bob").IsAcquired);

        // Another partitioned limiter (another process's, or the same one after it dropped an idle partition) finds the
        // budgets where the first left them: they are the store's.
        using var again = PartitionedRateLimiter.Create<string, string>(user => PersistentRateLimitPartition.GetFixedWindowLimiter(p, "api:" + user, Two));
        Assert.False(again.AttemptAcquire("alice").IsAcquired);
        Assert.True(again.AttemptAcquire("bob").IsAcquired);
        Assert.False(limiter.AttemptAcquire("bob").IsAcquired);
        Assert.Equal(new RowCounts(2, 0), (await p.Admin.GetStatsAsync(Ct)).RateLimits);

        Advance(Period.TotalMilliseconds);
        Assert.True(again.AttemptAcquire("alice").IsAcquired);

        // The other algorithms partition the same way; a partition key is a store key, checked when the partition is made.
        using var buckets = PartitionedRateLimiter.Create<int, string>(n => PersistentRateLimitPartition.GetTokenBucketLimiter(
            p, "bucket:" + n.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => new() { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = Period }));
        using var windows = PartitionedRateLimiter.Create<int, string>(n => PersistentRateLimitPartition.GetSlidingWindowLimiter(
            p, "window:" + n.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => new() { PermitLimit = 1, Window = Period, SegmentsPerWindow = 2 }));
        Assert.True(buckets.AttemptAcquire(1).IsAcquired);
        Assert.False(buckets.AttemptAcquire(1).IsAcquired);
        Assert.True(buckets.AttemptAcquire(2).IsAcquired);
        Assert.True(windows.AttemptAcquire(1).IsAcquired);
        Assert.False(windows.AttemptAcquire(1).IsAcquired);
        Assert.Throws<ArgumentException>(() => PersistentRateLimitPartition.GetFixedWindowLimiter(p, "", Two));
        Assert.Throws<ArgumentNullException>(() => PersistentRateLimitPartition.GetFixedWindowLimiter(p, "k", null!));
        Assert.Throws<ArgumentNullException>(() => PersistentRateLimitPartition.GetTokenBucketLimiter(null!, "k", _ => new()));
    }

    /// <summary>A scripted run: acquisitions of 0 to <paramref name="limit"/> permits and steps of one period, both limiters in step.</summary>
    private async Task SideBySideAsync(RateLimiter ours, ReplenishingRateLimiter theirs, int limit, TimeSpan period, int seed)
    {
        var random = new Random(seed);
        var script = new System.Text.StringBuilder();
        var hook = theirs.GetType().GetMethod("ReplenishInternal", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
            ?? throw new InvalidOperationException($"{theirs.GetType().Name} has no ReplenishInternal(long) test hook any more.");
        var stopwatchPeriod = (long)(period.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var tick = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var step = 0; step < 150; step++)
        {
            var roll = random.Next(10);
            if (roll < 3)
            {
                // A quiet stretch now and then: long enough for the state to expire.
                var periods = roll == 0 && random.Next(4) == 0 ? 6 : 1;
                for (var i = 0; i < periods; i++)
                {
                    // One period on both clocks: the framework's timer firing once, ours by elapsed time.
                    tick += stopwatchPeriod;
                    hook.Invoke(theirs, [tick]);
                    Time.Advance(period);
                }

                script.Append(System.Globalization.CultureInfo.InvariantCulture, $" +{periods}p");

                continue;
            }

            var permits = random.Next(limit + 1);
            using var expected = theirs.AttemptAcquire(permits);
            // AcquireAsync(0) waits for a permit (as the framework's does), so only AttemptAcquire asks about none.
            using var actual = step % 2 == 0 || permits == 0 ? ours.AttemptAcquire(permits) : await ours.AcquireAsync(permits, Ct);
            script.Append(System.Globalization.CultureInfo.InvariantCulture, $" {permits}:{(expected.IsAcquired ? "y" : "n")}/{(actual.IsAcquired ? "y" : "n")}");
            var context = $"step {step}: {permits} permits ({script})";
            Assert.True(expected.IsAcquired == actual.IsAcquired, $"{context}: framework {expected.IsAcquired}, ours {actual.IsAcquired}");
            Assert.Equal(RetryAfter(expected), RetryAfter(actual));
            Assert.Equal(expected.MetadataNames.Order(StringComparer.Ordinal), actual.MetadataNames.Order(StringComparer.Ordinal));
            Assert.True(
                theirs.GetStatistics()!.CurrentAvailablePermits == ours.GetStatistics()!.CurrentAvailablePermits,
                $"{context}: framework has {theirs.GetStatistics()!.CurrentAvailablePermits} left, ours {ours.GetStatistics()!.CurrentAvailablePermits}");
        }

        Assert.Equal(theirs.GetStatistics()!.TotalSuccessfulLeases, ours.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(theirs.GetStatistics()!.TotalFailedLeases, ours.GetStatistics()!.TotalFailedLeases);
    }

    private static TimeSpan? RetryAfter(RateLimitLease lease) => lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : null;

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition());
    }
}

/// <summary>The rate limiters where a second adapter can open the same store: one budget for both.</summary>
public abstract class RateLimitSharedStoreConformance<TBackend> : RateLimitConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task TwoAdaptersOnOneStore_ShareOneBudget_AndAPrefixHasItsOwn()
    {
        var a = await OpenAsync("app:");
        var b = await OpenSecondAsync("app:");
        var other = await Backend.OpenAsync(Backend.Options("other:"));
        var options = new TokenBucketRateLimiterOptions { TokenLimit = 3, TokensPerPeriod = 3, ReplenishmentPeriod = TimeSpan.FromSeconds(1) };
        using var first = PersistentRateLimiter.CreateTokenBucket(a, "api", options);
        using var second = PersistentRateLimiter.CreateTokenBucket(b, "api", options);
        using var elsewhere = PersistentRateLimiter.CreateTokenBucket(other, "api", options);

        Assert.True(first.AttemptAcquire(2).IsAcquired);
        Assert.True((await second.AcquireAsync(1, Ct)).IsAcquired);
        Assert.False(first.AttemptAcquire(1).IsAcquired);
        Assert.False(second.AttemptAcquire(1).IsAcquired);
        Assert.True(elsewhere.AttemptAcquire(3).IsAcquired);

        Advance(1000);
        Assert.True(second.AttemptAcquire(3).IsAcquired);
        Assert.False((await first.AcquireAsync(1, Ct)).IsAcquired);

        using var windowA = PersistentRateLimiter.CreateSlidingWindow(a, "w", new SlidingWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromSeconds(2), SegmentsPerWindow = 2 });
        using var windowB = PersistentRateLimiter.CreateSlidingWindow(b, "w", new SlidingWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromSeconds(2), SegmentsPerWindow = 2 });
        Assert.True(windowA.AttemptAcquire().IsAcquired);
        Advance(1000);
        Assert.True(windowB.AttemptAcquire().IsAcquired);
        Assert.False(windowA.AttemptAcquire().IsAcquired);
        Advance(1000);
        Assert.True(windowB.AttemptAcquire().IsAcquired);
        Assert.False(windowA.AttemptAcquire().IsAcquired);
    }

    [Fact]
    public async Task AdaptersRacingAFreshKey_NeverGrantMoreThanTheLimit()
    {
        var adapters = new[] { await OpenAsync("race:"), await OpenSecondAsync("race:"), await OpenSecondAsync("race:") };
        var options = new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromHours(1) };
        var limiters = adapters.Select(a => PersistentRateLimiter.CreateFixedWindow(a, "fresh", options)).ToArray();
        var leases = await Task.WhenAll(Enumerable.Range(0, 60).Select(n => Task.Run(async () => await limiters[n % limiters.Length].AcquireAsync(1, Ct), Ct)));
        Assert.Equal(10, leases.Count(l => l.IsAcquired));
        Assert.Equal(10, limiters.Sum(l => l.GetStatistics()!.TotalSuccessfulLeases));
        foreach (var limiter in limiters)
        {
            limiter.Dispose();
        }
    }
}
