namespace NativeAotPersistence;

/// <summary>One stored circuit breaker, as <see cref="IPersistenceAdmin.ListCircuitsAsync"/> lists it.</summary>
/// <param name="Key">The breaker's key, without prefix.</param>
/// <param name="State">Its stored state.</param>
/// <param name="UpdatedAt">When it was last written.</param>
public sealed record CircuitSummary(string Key, CircuitBreakerPersistedState State, DateTimeOffset UpdatedAt)
{
    /// <summary>Gets whether the breaker is isolated by hand (<see cref="CircuitBreaker.IsolateAsync"/>); its state reads open.</summary>
    public bool IsIsolated { get; init; }

    /// <summary>Gets when an open breaker's break ends (it admits trials from then on), or <see langword="null"/>.</summary>
    public DateTimeOffset? OpenUntil { get; init; }

    /// <summary>Gets the half-open trial calls in flight across every process (their permits not yet expired).</summary>
    public int TrialsInFlight { get; init; }

    /// <summary>Gets how many times the breaker opened since it was last closed, across every process.</summary>
    public int ReopenCount { get; init; }
}
