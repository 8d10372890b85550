using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: what <see cref="CircuitBreakerSteps.AdmitAsync"/> decided for one call through a
/// <see cref="CircuitBreaker"/>. Only the breaker creates it; pass it back to exactly one of
/// <see cref="CircuitBreakerSteps.SucceedAsync"/>, <see cref="CircuitBreakerSteps.FailAsync"/> or
/// <see cref="CircuitBreakerSteps.AbandonAsync"/> when <see cref="Admitted"/>, and to none of them otherwise.
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

    /// <summary>An admission decided by the store's rules (the fleet breaker).</summary>
    internal CircuitAdmission(bool admitted, long? trialId, DateTimeOffset retryAt, CircuitBreakerTransition? transition, bool isolated, int reopenCount, int failureCount, double failureRate)
    {
        Admitted = admitted;
        Trial = trialId is not null;
        TrialId = trialId;
        RetryAt = retryAt;
        Transition = transition;
        IsIsolated = isolated;
        ReopenCount = reopenCount;
        FailureCount = failureCount;
        FailureRate = failureRate;
        Fleet = true;
    }

    /// <summary>Gets the shared state read before the call (<see langword="null"/> for a key never stored).</summary>
    internal CircuitBreakerPersistedState? Stored { get; }

    /// <summary>Gets whether the call may run.</summary>
    public bool Admitted { get; }

    /// <summary>
    /// Gets, for a rejected call, whether the breaker is isolated (held open by hand until it is closed): then
    /// <see cref="RetryAt"/> is <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    public bool IsIsolated { get; }

    /// <summary>Gets whether the store's rules decided the admission (the fleet breaker).</summary>
    internal bool Fleet { get; }

    /// <summary>Gets the trial permit the call holds from the store, or <see langword="null"/>.</summary>
    internal long? TrialId { get; }

    /// <summary>Gets the re-open count the admission saw (0 when the breaker was closed).</summary>
    internal int ReopenCount { get; }

    /// <summary>Gets the failures the admission saw (consecutive, or in the window).</summary>
    internal int FailureCount { get; }

    /// <summary>Gets the window's failure ratio the admission saw (0 in the consecutive mode).</summary>
    internal double FailureRate { get; }

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
    public TimeSpan RetryAfter(DateTimeOffset now) =>
        IsIsolated ? Timeout.InfiniteTimeSpan : RetryAt > now ? RetryAt - now : TimeSpan.Zero;
}
