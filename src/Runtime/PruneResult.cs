namespace NativeAotPersistence;

/// <summary>What <see cref="IPersistenceAdapter.PruneAsync"/> removed, one property per kind that expires.</summary>
/// <remarks>
/// Not positional: a kind added later adds a property, and code that reads <see cref="Cache"/> or
/// <see cref="Total"/> keeps compiling. Two results are equal when every count is.
/// </remarks>
public readonly record struct PruneResult
{
    /// <summary>Gets the expired cache entries removed.</summary>
    public int Cache { get; init; }

    /// <summary>Gets the expired idempotency records removed.</summary>
    public int Idempotency { get; init; }

    /// <summary>Gets the expired lock rows (or in-process lock entries) removed.</summary>
    public int Locks { get; init; }

    /// <summary>Gets the expired semaphore permits removed.</summary>
    public int Semaphores { get; init; }

    /// <summary>Gets the idle rate-limit states removed.</summary>
    public int RateLimits { get; init; }

    /// <summary>Gets the total number of rows removed.</summary>
    public int Total => Cache + Idempotency + Locks + Semaphores + RateLimits;
}
