using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: what <see cref="CircuitBreakerSteps.AdmitAsync"/> decided for one call through a
/// <see cref="CircuitBreaker"/>. Only the breaker creates it; pass it back to exactly one of
/// <see cref="CircuitBreakerSteps.SucceedAsync"/>, <see cref="CircuitBreakerSteps.FailAsync"/> or
/// <see cref="CircuitBreakerSteps.Abandon"/> when <see cref="Admitted"/>, and to none of them otherwise.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct CircuitAdmission
{
    internal CircuitAdmission(CircuitBreakerPersistedState? stored, bool admitted, bool trial, DateTimeOffset retryAt, CircuitBreakerTransition? transition)
    {
        Stored = stored;
        Admitted = admitted;
        Trial = trial;
        RetryAt = retryAt;
        Transition = transition;
    }

    /// <summary>Gets the shared state read before the call (<see langword="null"/> for a key never stored).</summary>
    internal CircuitBreakerPersistedState? Stored { get; }

    /// <summary>Gets whether the call may run.</summary>
    public bool Admitted { get; }

    /// <summary>Gets whether the call holds one of this breaker's half-open trial slots.</summary>
    internal bool Trial { get; }

    /// <summary>Gets, for a rejected call, the earliest time a call may be tried again.</summary>
    public DateTimeOffset RetryAt { get; }

    /// <summary>
    /// Gets the transition admitting the call caused (open to half-open), or <see langword="null"/>: the caller raises it
    /// to its own listeners (the breaker has already counted and reported it).
    /// </summary>
    public CircuitBreakerTransition? Transition { get; }

    /// <summary>How long from <paramref name="now"/> until <see cref="RetryAt"/>; zero once it has passed.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The time to wait.</returns>
    public TimeSpan RetryAfter(DateTimeOffset now) => RetryAt > now ? RetryAt - now : TimeSpan.Zero;
}
