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
    /// <param name="retryAfter">The earliest time a call may be tried again.</param>
    public CircuitBreakerOpenException(string key, DateTimeOffset retryAfter)
        : base($"The circuit breaker '{key}' is open; retry after {retryAfter:O}.")
    {
        Key = key;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the breaker's key.</summary>
    public string Key { get; }

    /// <summary>Gets the earliest time a call may be tried again.</summary>
    public DateTimeOffset RetryAfter { get; }
}
