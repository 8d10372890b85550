using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// What a backend builds for one adapter: a provider of every kind, and the source of its store-level statistics.
/// Every member is <see langword="required"/>, so a kind the library adds later is a compile error in a backend
/// until the backend provides it.
/// </summary>
/// <remarks>
/// Each provider must implement <see cref="IAdminSource"/> (and <see cref="Store"/> <see cref="ICompactable"/> too);
/// the cache, lock and idempotency providers also <see cref="IPrunable"/>; the circuit-breaker, checkpoint, lock and
/// idempotency providers also their <see cref="IAdminListing{TSummary}"/>. <see cref="AdapterCore"/> checks all of it when it is built.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class BackendProviders
{
    /// <summary>Gets the cache provider.</summary>
    public required ICacheProvider Cache { get; init; }

    /// <summary>
    /// Gets the factory of the backend's <see cref="LockScope.Database"/> lock provider; called only when
    /// <see cref="PersistenceAdapterOptions.LockScope"/> is <see cref="LockScope.Database"/> (the core supplies
    /// <see cref="LockScope.Process"/> locks itself).
    /// </summary>
    public required Func<ILockProvider> DatabaseLocks { get; init; }

    /// <summary>Gets the circuit-breaker state provider (it must also implement <see cref="ICircuitStore"/>).</summary>
    public required ICircuitBreakerStateProvider CircuitBreakers { get; init; }

    /// <summary>Gets the checkpoint provider.</summary>
    public required ICheckpointProvider Checkpoints { get; init; }

    /// <summary>Gets the idempotency provider.</summary>
    public required IIdempotencyProvider Idempotency { get; init; }

    /// <summary>Gets the semaphore provider.</summary>
    public required ISemaphoreProvider Semaphores { get; init; }

    /// <summary>Gets the rate-limit provider (it must also implement <see cref="IRateLimitStore"/>).</summary>
    public required IRateLimitProvider RateLimits { get; init; }

    /// <summary>
    /// Gets the store-level part of the admin API: the source of the store-level statistics (schema version, data
    /// source, size, pages), which must also compact the store (<see cref="ICompactable"/>).
    /// </summary>
    public required IAdminSource Store { get; init; }
}
