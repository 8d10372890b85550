namespace NativeAotPersistence;

/// <summary>What <see cref="IPersistenceAdapter.PruneAsync"/> removed.</summary>
/// <param name="Cache">Expired cache entries removed.</param>
/// <param name="Idempotency">Expired idempotency records removed.</param>
/// <param name="Locks">Expired lock rows (or in-process lock entries) removed.</param>
public readonly record struct PruneResult(int Cache, int Idempotency, int Locks)
{
    /// <summary>Gets the total number of rows removed.</summary>
    public int Total => Cache + Idempotency + Locks;
}
