namespace NativeAotPersistence;

/// <summary>
/// The one jittered exponential backoff of every wait loop (busy database, lock polling, retries): a mutable struct
/// kept in the loop's local, each <see cref="NextDelay(TimeSpan)"/> the wait before the next attempt.
/// </summary>
/// <example>
/// <code>
/// var backoff = new Backoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(50));
/// while (!TryOnce())
/// {
///     await Task.Delay(backoff.NextDelay(budget - waited), cancellationToken);
/// }
/// </code>
/// </example>
internal struct Backoff
{
    private readonly TimeSpan _max;
    private TimeSpan _delay;

    /// <param name="first">The first delay (before jitter).</param>
    /// <param name="max">The most the delay grows to (before jitter).</param>
    public Backoff(TimeSpan first, TimeSpan max)
    {
        _delay = first;
        _max = max;
    }

    /// <summary>
    /// Returns the wait before the next attempt: the current delay jittered (<see cref="Jitter"/>), never more than
    /// <paramref name="remaining"/> (what is left of the caller's budget); then doubles the delay, up to the maximum.
    /// </summary>
    public TimeSpan NextDelay(TimeSpan remaining)
    {
        var jittered = Jitter(_delay);
        _delay = Next(_delay, _max);
        return jittered < remaining ? jittered : remaining;
    }

    /// <summary>Returns the wait before the next attempt of a loop without a budget; then doubles the delay, up to the maximum.</summary>
    public TimeSpan NextDelay() => NextDelay(TimeSpan.MaxValue);

    /// <summary>A random delay between half of <paramref name="delay"/> and all of it, so that waiters spread out.</summary>
    public static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + (Random.Shared.NextDouble() * 0.5));

    /// <summary>The next delay: twice <paramref name="delay"/>, at most <paramref name="max"/>.</summary>
    public static TimeSpan Next(TimeSpan delay, TimeSpan max) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, max.Ticks));
}
