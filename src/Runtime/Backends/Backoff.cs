using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the one jittered exponential backoff of every wait loop (a busy database, lock polling, retries of a
/// transient failure). A backend waits <see cref="Jitter"/> of its current delay, then doubles it with <see cref="Next"/>,
/// so that waiters spread out instead of retrying in step.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Backoff
{
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
