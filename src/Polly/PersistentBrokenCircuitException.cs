using Polly.CircuitBreaker;

namespace NativeAotPersistence;

/// <summary>
/// A call was rejected because its persistent circuit breaker is open (or half-open with every trial slot of this
/// process taken). It is a Polly <see cref="BrokenCircuitException"/>, so code and strategies that handle Polly's
/// breakers handle it too; it adds the breaker's key and the absolute time a call may be tried again.
/// </summary>
/// <remarks>
/// Not the core's <see cref="CircuitBreakerOpenException"/>: inside a Polly pipeline the rejection must be an
/// <see cref="Polly.ExecutionRejectedException"/>, and an exception has a single base class.
/// </remarks>
public class PersistentBrokenCircuitException : BrokenCircuitException
{
    /// <summary>Initializes a new instance.</summary>
    public PersistentBrokenCircuitException()
        : this("The circuit breaker is open.")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public PersistentBrokenCircuitException(string message)
        : base(message)
    {
        Key = "";
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PersistentBrokenCircuitException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = "";
    }

    /// <summary>Initializes a new instance for the breaker <paramref name="key"/>.</summary>
    /// <param name="key">The breaker's key.</param>
    /// <param name="retryAt">The earliest time a call may be tried again.</param>
    /// <param name="retryAfter">How long from now that is (<see cref="BrokenCircuitException.RetryAfter"/>).</param>
    public PersistentBrokenCircuitException(string key, DateTimeOffset retryAt, TimeSpan retryAfter)
        : base($"The circuit breaker '{key}' is open; retry after {retryAt:O}.", retryAfter)
    {
        Key = key;
        RetryAt = retryAt;
    }

    private PersistentBrokenCircuitException(string key, bool isolated)
        : base($"The circuit breaker '{key}' is isolated: it stays open until it is closed by hand.")
    {
        Key = key;
        RetryAt = DateTimeOffset.MaxValue;
        IsIsolated = isolated;
    }

    /// <summary>Gets the breaker's key.</summary>
    public string Key { get; }

    /// <summary>
    /// Gets whether the breaker was isolated by hand (<see cref="CircuitBreaker.IsolateAsync"/>): it stays open until
    /// <see cref="CircuitBreaker.CloseAsync"/>; <see cref="BrokenCircuitException.RetryAfter"/> is then
    /// <see langword="null"/> (as for Polly's isolated circuits) and <see cref="RetryAt"/> <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    public bool IsIsolated { get; }

    /// <summary>Gets the earliest time a call may be tried again, by the pipeline's clock.</summary>
    public DateTimeOffset RetryAt { get; }

    /// <summary>Creates the exception for a call rejected by an isolated breaker (<see cref="IsIsolated"/>).</summary>
    /// <param name="key">The breaker's key.</param>
    /// <returns>The exception.</returns>
    public static PersistentBrokenCircuitException ForIsolated(string key) => new(key, isolated: true);
}
