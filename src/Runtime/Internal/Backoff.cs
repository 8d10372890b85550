namespace NativeAotPersistence;

/// <summary>The one jittered exponential backoff of every wait loop (busy database, lock polling, retries).</summary>
internal static class Backoff
{
    /// <summary>A random delay between half of <paramref name="delay"/> and all of it, so that waiters spread out.</summary>
    public static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + (Random.Shared.NextDouble() * 0.5));

    /// <summary>The next delay: twice <paramref name="delay"/>, at most <paramref name="max"/>.</summary>
    public static TimeSpan Next(TimeSpan delay, TimeSpan max) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, max.Ticks));
}
