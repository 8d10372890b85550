namespace NativeAotPersistence;

/// <summary>A call was rejected because its circuit breaker is open.</summary>
public class CircuitBreakerOpenException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    public CircuitBreakerOpenException()
        : this("The circuit breaker is open.")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public CircuitBreakerOpenException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CircuitBreakerOpenException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Key = "";
    }

    /// <summary>Initializes a new instance for the breaker <paramref name="key"/>.</summary>
    /// <param name="key">The breaker's key.</param>
    /// <param name="retryAt">The earliest time a call may be tried again, by the breaker's clock.</param>
    /// <param name="retryAfter">How long from the rejection that is (never negative).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="retryAfter"/> is negative.</exception>
    public CircuitBreakerOpenException(string key, DateTimeOffset retryAt, TimeSpan retryAfter)
        : base($"The circuit breaker '{key}' is open; retry after {retryAfter} (at {retryAt:O}).")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        Key = key;
        RetryAt = retryAt;
        RetryAfter = retryAfter;
    }

    private CircuitBreakerOpenException(string key, bool isolated)
        : base($"The circuit breaker '{key}' is isolated: it stays open until it is closed by hand.")
    {
        Key = key;
        RetryAt = DateTimeOffset.MaxValue;
        RetryAfter = Timeout.InfiniteTimeSpan;
        IsIsolated = isolated;
    }

    /// <summary>Gets the breaker's key.</summary>
    public string Key { get; }

    /// <summary>
    /// Gets whether the breaker was isolated by hand (<see cref="CircuitBreaker.IsolateAsync"/>): it stays open until
    /// <see cref="CircuitBreaker.CloseAsync"/>, so <see cref="RetryAfter"/> is <see cref="Timeout.InfiniteTimeSpan"/> and
    /// <see cref="RetryAt"/> is <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    public bool IsIsolated { get; }

    /// <summary>
    /// Gets how long after the rejection a call may be tried again (<see cref="TimeSpan.Zero"/>: at once), as Polly's
    /// <c>BrokenCircuitException.RetryAfter</c>; <see cref="Timeout.InfiniteTimeSpan"/> for an isolated breaker.
    /// </summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Gets the earliest time a call may be tried again, by the breaker's clock.</summary>
    public DateTimeOffset RetryAt { get; }

    /// <summary>Creates the exception for a call rejected by an isolated breaker (<see cref="IsIsolated"/>).</summary>
    /// <param name="key">The breaker's key.</param>
    /// <returns>The exception.</returns>
    public static CircuitBreakerOpenException ForIsolated(string key) => new(key, isolated: true);
}
