namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The rate-limit algorithms as the pure functions they are: their state texts, expiries and odd inputs.</summary>
public sealed class RateLimitAlgorithmTests
{
    private const long T0 = 1_767_225_600_000;

    [Fact]
    public void TokenBucket_StateIsTokensAndTheLastReplenishment_OnAGrid()
    {
        var bucket = new TokenBucketAlgorithm(5, 2, TimeSpan.FromSeconds(1));
        var first = bucket.Evaluate(null, T0, 4, 0);
        Assert.Equal(("tb:1;" + T0, T0 + 2000, true, 1), (first.State, first.ExpiresAtMs, first.Result.Acquired, first.Result.Available));

        // 2.5 periods later: two periods' tokens, the grid kept (the half period counts toward the next).
        var later = bucket.Evaluate(first.State, T0 + 2500, 0, 0);
        Assert.Equal(("tb:5;" + (T0 + 2000), true, 5), (later.State, later.Result.Acquired, later.Result.Available));
        Assert.True(later.ExpiresAtMs <= T0 + 2500);

        var refused = bucket.Evaluate("tb:0;" + T0, T0 + 10, 5, 0);
        Assert.Equal((false, 2 * TimeSpan.TicksPerSecond), (refused.Result.Acquired, refused.Result.RetryAfterTicks));
    }

    [Fact]
    public void FixedWindow_StateIsRemainingAndTheWindowStart()
    {
        var window = new FixedWindowAlgorithm(3, TimeSpan.FromSeconds(10));
        var first = window.Evaluate(null, T0, 3, 0);
        Assert.Equal(("fw:0;" + T0, T0 + 10_000, true), (first.State, first.ExpiresAtMs, first.Result.Acquired));
        var next = window.Evaluate(first.State, T0 + 25_000, 1, 0);
        Assert.Equal("fw:2;" + (T0 + 20_000), next.State);
        Assert.Equal(T0 + 30_000, next.ExpiresAtMs);
    }

    [Fact]
    public void SlidingWindow_StateIsAvailableSegmentLastAndTheCounts()
    {
        var window = new SlidingWindowAlgorithm(4, TimeSpan.FromSeconds(3), 3);
        var first = window.Evaluate(null, T0, 3, 0);
        Assert.Equal("sw:1;0;" + T0 + ";3,0,0", first.State);
        Assert.Equal(T0 + 3000, first.ExpiresAtMs);
        var second = window.Evaluate(first.State, T0 + 1000, 1, 0);
        Assert.Equal("sw:0;1;" + (T0 + 1000) + ";3,1,0", second.State);

        // A whole window on: the first segment's permits are back, then the second's.
        var back = window.Evaluate(second.State, T0 + 3000, 0, 0);
        Assert.Equal("sw:3;0;" + (T0 + 3000) + ";0,1,0", back.State);
        Assert.Equal(-1, back.Result.RetryAfterTicks);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("fw:1;2")]
    [InlineData("tb:x;1")]
    [InlineData("tb:1")]
    [InlineData("tb:1;2;3")]
    [InlineData("")]
    public void AStateOfAnotherShape_CountsAsNone(string stored)
    {
        var bucket = new TokenBucketAlgorithm(5, 1, TimeSpan.FromSeconds(1));
        var result = bucket.Evaluate(stored, T0, 1, 0);
        Assert.Equal(("tb:4;" + T0, 4), (result.State, result.Result.Available));

        var sliding = new SlidingWindowAlgorithm(2, TimeSpan.FromSeconds(2), 2);
        Assert.Equal("sw:1;0;" + T0 + ";1,0", sliding.Evaluate("sw:1;0;5;1,0,0", T0, 1, 0).State);
        Assert.Equal("sw:1;0;" + T0 + ";1,0", sliding.Evaluate("sw:1;7;5;1,0", T0, 1, 0).State);
    }

    [Fact]
    public void AClockThatWentBack_ReplenishesNothing_AndTakesNothingTwice()
    {
        var bucket = new TokenBucketAlgorithm(5, 1, TimeSpan.FromSeconds(1));
        var result = bucket.Evaluate("tb:2;" + T0, T0 - 5000, 1, 0);
        Assert.Equal("tb:1;" + T0, result.State);

        // A stored count above a lowered limit is clamped to it.
        Assert.Equal("tb:4;" + T0, bucket.Evaluate("tb:99;" + T0, T0, 1, 0).State);
    }
}
