namespace NativeAotPersistence;

/// <summary>
/// What <see cref="CircuitBreakerOptions.BreakDurationGenerator"/> is told about an opening (the shape of Polly's
/// <c>BreakDurationGeneratorArguments</c>, with the counts every process shares).
/// </summary>
public sealed class CircuitBreakDurationArguments
{
    internal CircuitBreakDurationArguments(string key, int reopenCount, int failureCount, double failureRate)
    {
        Key = key;
        ReopenCount = reopenCount;
        FailureCount = failureCount;
        FailureRate = failureRate;
    }

    /// <summary>Gets the breaker's key.</summary>
    public string Key { get; }

    /// <summary>
    /// Gets how many times the breaker re-opened since it was last closed, across every process: 0 for an opening from
    /// closed, 1 for the first failed trial after it, and so on (Polly's <c>HalfOpenAttempts</c>).
    /// </summary>
    public int ReopenCount { get; }

    /// <summary>Gets the failures counted when the breaker last read its state (consecutive, or in the window).</summary>
    public int FailureCount { get; }

    /// <summary>Gets the failure ratio of the window when the breaker last read its state (0 in the consecutive mode).</summary>
    public double FailureRate { get; }
}
