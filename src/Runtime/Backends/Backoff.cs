using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the one jittered exponential backoff of every wait loop (a busy database, lock polling, retries of a
/// transient failure): a mutable struct kept in the loop's local, each <see cref="NextDelay(TimeSpan)"/> the wait before
/// the next attempt, so that waiters spread out instead of retrying in step.
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
[EditorBrowsable(EditorBrowsableState.Never)]
public struct Backoff
{
    private readonly TimeSpan _max;
    private TimeSpan _delay;

    /// <summary>Starts a backoff.</summary>
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
    /// <param name="remaining">What is left of the caller's budget.</param>
    /// <returns>The delay to wait this time.</returns>
    public TimeSpan NextDelay(TimeSpan remaining)
    {
        var jittered = Jitter(_delay);
        _delay = Next(_delay, _max);
        return jittered < remaining ? jittered : remaining;
    }

    /// <summary>Returns the wait before the next attempt of a loop without a budget; then doubles the delay, up to the maximum.</summary>
    /// <returns>The delay to wait this time.</returns>
    public TimeSpan NextDelay() => NextDelay(TimeSpan.MaxValue);

    /// <summary>A random delay between half of <paramref name="delay"/> and all of it, so that waiters spread out.</summary>
    /// <param name="delay">The current delay.</param>
    /// <returns>The delay to wait this time.</returns>
    public static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + (Random.Shared.NextDouble() * 0.5));

    /// <summary>The next delay: twice <paramref name="delay"/>, at most <paramref name="max"/>.</summary>
    /// <param name="delay">The current delay.</param>
    /// <param name="max">The longest delay.</param>
    /// <returns>The next delay.</returns>
    public static TimeSpan Next(TimeSpan delay, TimeSpan max) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, max.Ticks));
}
