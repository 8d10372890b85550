namespace NativeAotPersistence;

/// <summary>The stored state of one circuit breaker.</summary>
/// <param name="State">The state.</param>
/// <param name="FailureCount">Consecutive failures recorded since the last success.</param>
/// <param name="LastFailureTime">When the last failure was recorded (millisecond precision, UTC).</param>
/// <param name="LastSuccessTime">When the last success was recorded (millisecond precision, UTC).</param>
public sealed record CircuitBreakerPersistedState(
    CircuitState State,
    int FailureCount,
    DateTimeOffset? LastFailureTime = null,
    DateTimeOffset? LastSuccessTime = null);
