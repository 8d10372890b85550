namespace NativeAotPersistence;

/// <summary>
/// A persistence backend that exposes the five providers (cache, locks, circuit-breaker state, checkpoints and
/// idempotency records) over one store. <see cref="SqliteAdapter"/> is the SQLite implementation.
/// </summary>
/// <remarks>
/// Call <see cref="ConnectAsync"/> before using a provider; using a provider before that, or after
/// <see cref="DisconnectAsync"/>, throws <see cref="InvalidOperationException"/>. Every member is thread-safe.
/// </remarks>
public interface IPersistenceAdapter : IAsyncDisposable
{
    /// <summary>Opens the store, creates missing tables (unless disabled) and validates the schema version.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <exception cref="PersistenceException">The store cannot be opened, is not a database, or has a newer schema.</exception>
    ValueTask ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Releases every resource the adapter holds; the providers are unusable until the next connect.</summary>
    /// <param name="cancellationToken">Cancels the wait for operations still running.</param>
    ValueTask DisconnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets whether <see cref="ConnectAsync"/> completed and <see cref="DisconnectAsync"/> has not been called since.</summary>
    bool IsConnected { get; }

    /// <summary>Gets the TTL cache.</summary>
    ICacheProvider Cache { get; }

    /// <summary>Gets the lock provider (in process or in the database, by <see cref="PersistenceAdapterOptions.LockScope"/>).</summary>
    ILockProvider Locks { get; }

    /// <summary>Gets the circuit-breaker state provider.</summary>
    ICircuitBreakerStateProvider CircuitBreakers { get; }

    /// <summary>Gets the checkpoint provider.</summary>
    ICheckpointProvider Checkpoints { get; }

    /// <summary>Gets the idempotency-record provider.</summary>
    IIdempotencyProvider Idempotency { get; }

    /// <summary>Gets the semaphore provider: N permits per key, shared by every process using the store.</summary>
    ISemaphoreProvider Semaphores { get; }

    /// <summary>
    /// Gets the rate-limit provider: the state of the store-backed <see cref="System.Threading.RateLimiting.RateLimiter"/>s
    /// (<see cref="PersistentRateLimiter"/>), one budget per key shared by every process using the store.
    /// </summary>
    IRateLimitProvider RateLimits { get; }

    /// <summary>Gets all five providers as one bundle, for code that takes a <see cref="PersistenceProviders"/>.</summary>
    PersistenceProviders Providers { get; }

    /// <summary>Gets the inspection API for this adapter's rows (its <see cref="PersistenceAdapterOptions.KeyPrefix"/> only).</summary>
    IPersistenceAdmin Admin { get; }

    /// <summary>Removes expired cache entries, idempotency records and lock rows now.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>How many rows of each kind were removed.</returns>
    ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default);
}
