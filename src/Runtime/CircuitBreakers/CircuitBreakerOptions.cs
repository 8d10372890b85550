namespace NativeAotPersistence;

/// <summary>How a <see cref="CircuitBreaker"/> decides to open, wait and close.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Gets the number of consecutive failures that opens the breaker. The default is 5.</summary>
    public int FailureThreshold { get; init; } = 5;

    /// <summary>Gets how long the breaker stays open after the last failure before it admits trial calls. The default is 30 seconds.</summary>
    public TimeSpan ResetTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the number of successful trial calls (counted in this process) that closes a half-open breaker. The default is 1.</summary>
    public int SuccessThreshold { get; init; } = 1;

    /// <summary>Gets the number of trial calls this process runs at once while the breaker is half-open. The default is 1.</summary>
    public int HalfOpenMaxTrials { get; init; } = 1;

    /// <summary>
    /// Gets which exceptions count as failures; <see langword="null"/> counts every exception except a cancellation of
    /// the caller's own token (which never counts).
    /// </summary>
    public Func<Exception, bool>? ShouldHandle { get; init; }

    /// <summary>
    /// Gets the clock that decides when the reset timeout has passed. The default, <see langword="null"/>, is the
    /// adapter's <see cref="PersistenceAdapterOptions.TimeProvider"/> (the one clock of the store);
    /// <see cref="TimeProvider.System"/> for a state provider that is not one of this library's.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Gets a callback invoked on every transition this process causes or observes.</summary>
    public Action<CircuitBreakerTransition>? OnStateChanged { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureThreshold, 1, nameof(FailureThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(SuccessThreshold, 1, nameof(SuccessThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(HalfOpenMaxTrials, 1, nameof(HalfOpenMaxTrials));
        if (ResetTimeout <= TimeSpan.Zero || ResetTimeout == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ResetTimeout), ResetTimeout, "ResetTimeout must be finite and positive.");
        }
    }
}
