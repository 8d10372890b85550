namespace NativeAotPersistence;

/// <summary>One stored circuit breaker, as <see cref="IPersistenceAdmin.ListCircuitsAsync"/> lists it.</summary>
/// <param name="Key">The breaker's key, without prefix.</param>
/// <param name="State">Its stored state.</param>
/// <param name="UpdatedAt">When it was last written.</param>
public sealed record CircuitSummary(string Key, CircuitBreakerPersistedState State, DateTimeOffset UpdatedAt);
