namespace NativeAotPersistence.Tests.Reliability;

/// <summary>The one backoff of every wait loop: jittered, clamped to what is left of the budget, doubling up to a maximum.</summary>
public sealed class BackoffTests
{
    [Fact]
    public void EachDelay_IsTheCurrentOneJittered_ThenItDoubles_UpToTheMaximum()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(4), TimeSpan.FromMilliseconds(20));
        double[] unjittered = [4, 8, 16, 20, 20, 20];
        foreach (var ms in unjittered)
        {
            Assert.InRange(backoff.NextDelay().TotalMilliseconds, ms / 2, ms);
        }
    }

    [Fact]
    public void ADelay_NeverPassesTheRemainingBudget_AndTheBackoffStillGrows()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(1), backoff.NextDelay(TimeSpan.FromMilliseconds(1)));
        Assert.Equal(TimeSpan.Zero, backoff.NextDelay(TimeSpan.Zero));
        Assert.InRange(backoff.NextDelay(TimeSpan.FromHours(1)).TotalMilliseconds, 200, 400);
    }

    [Fact]
    public void TheStaticSteps_StayAsTheyWere()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(10), Backoff.Next(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromMilliseconds(7), Backoff.Next(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(7)));
        for (var i = 0; i < 100; i++)
        {
            Assert.InRange(Backoff.Jitter(TimeSpan.FromMilliseconds(10)).TotalMilliseconds, 5, 10);
        }
    }
}
