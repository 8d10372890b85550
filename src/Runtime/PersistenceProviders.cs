namespace NativeAotPersistence;

/// <summary>The five providers as one bundle, for code that takes them together.</summary>
public sealed class PersistenceProviders
{
    /// <summary>Gets the lock provider.</summary>
    public ILockProvider? Lock { get; init; }

    /// <summary>Gets the circuit-breaker state provider.</summary>
    public ICircuitBreakerStateProvider? CircuitBreaker { get; init; }

    /// <summary>Gets the cache provider.</summary>
    public ICacheProvider? Cache { get; init; }

    /// <summary>Gets the idempotency provider.</summary>
    public IIdempotencyProvider? Idempotency { get; init; }

    /// <summary>Gets the checkpoint provider.</summary>
    public ICheckpointProvider? Checkpoint { get; init; }

    /// <summary>Gets the semaphore provider.</summary>
    public ISemaphoreProvider? Semaphore { get; init; }

    /// <summary>Gets the rate-limit provider.</summary>
    public IRateLimitProvider? RateLimit { get; init; }
}
