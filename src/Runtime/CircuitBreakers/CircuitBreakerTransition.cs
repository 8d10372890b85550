namespace NativeAotPersistence;

/// <summary>A change of a <see cref="CircuitBreaker"/>'s state.</summary>
/// <param name="Key">The breaker's key.</param>
/// <param name="From">The state before.</param>
/// <param name="To">The state after.</param>
/// <param name="At">When this process saw or caused it.</param>
public sealed record CircuitBreakerTransition(string Key, CircuitState From, CircuitState To, DateTimeOffset At);
