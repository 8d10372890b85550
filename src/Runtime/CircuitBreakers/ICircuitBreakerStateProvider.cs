namespace NativeAotPersistence;

/// <summary>Stores circuit-breaker state so every process sharing the store sees one breaker.</summary>
public interface ICircuitBreakerStateProvider
{
    /// <summary>
    /// Gets the clock of the store (its adapter's <see cref="PersistenceAdapterOptions.TimeProvider"/>), which a
    /// <see cref="CircuitBreaker"/> over this provider uses unless its options name another: one clock for every time
    /// of a store. A decorator returns its inner provider's.
    /// </summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Gets the stored state of <paramref name="key"/>, or <see langword="null"/> for a key never stored.</summary>
    /// <param name="key">The breaker's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <exception cref="PayloadFormatException">The stored state string is unknown.</exception>
    ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Replaces the stored state of <paramref name="key"/>.</summary>
    /// <remarks>
    /// Over this library's providers, a circuit isolated by hand (<see cref="CircuitBreaker.IsolateAsync"/>) stays
    /// isolated when the new state is half-open (what a breaker's reset timeout would do); closed or open ends the
    /// isolation.
    /// </remarks>
    /// <param name="key">The breaker's key.</param>
    /// <param name="state">The new state.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically adds one failure and sets the last failure time; the state becomes open once the count reaches
    /// <paramref name="maxFailures"/>, and counting goes on past it. Concurrent calls from any number of threads or
    /// processes add exactly one each.
    /// </summary>
    /// <param name="key">The breaker's key.</param>
    /// <param name="maxFailures">The count at which the breaker opens; at least 1.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>The new failure count.</returns>
    ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default);

    /// <summary>Sets the state to closed with a count of 0 and the last success time; the last failure time is kept.</summary>
    /// <remarks>
    /// Over this library's providers, a circuit isolated by hand (<see cref="CircuitBreaker.IsolateAsync"/>) stays as it
    /// is: only <see cref="CircuitBreaker.CloseAsync"/> or <see cref="SetStateAsync"/> ends an isolation.
    /// </remarks>
    /// <param name="key">The breaker's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default);
}
