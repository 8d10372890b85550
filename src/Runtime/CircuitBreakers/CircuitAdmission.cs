namespace NativeAotPersistence;

/// <summary>What <see cref="CircuitBreaker.AdmitAsync"/> decided for one call.</summary>
/// <param name="Stored">The shared state read before the call (<see langword="null"/> for a key never stored).</param>
/// <param name="Admitted">Whether the call may run.</param>
/// <param name="Trial">Whether the call holds one of this breaker's half-open trial slots.</param>
/// <param name="RetryAt">For a rejected call, the earliest time a call may be tried again.</param>
/// <param name="Transition">The transition admitting the call caused (open to half-open), for the caller to raise.</param>
internal readonly record struct CircuitAdmission(
    CircuitBreakerPersistedState? Stored,
    bool Admitted,
    bool Trial,
    DateTimeOffset RetryAt,
    CircuitBreakerTransition? Transition)
{
    /// <summary>How long from <paramref name="now"/> until <see cref="RetryAt"/>; zero once it has passed.</summary>
    public TimeSpan RetryAfter(DateTimeOffset now) => RetryAt > now ? RetryAt - now : TimeSpan.Zero;
}
