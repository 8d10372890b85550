namespace NativeAotPersistence;

/// <summary>
/// The state of the store-backed rate limiters (<see cref="PersistentRateLimiter"/>), shared by every process (and, on
/// PostgreSQL, every machine) using the store: one short row per key, which expires once the key is idle long enough
/// to have its whole budget back (pruning reclaims it).
/// </summary>
/// <remarks>Keys follow the same rules as every other kind (<see cref="PersistenceAdapterOptions.KeyPrefix"/> namespaces them).</remarks>
public interface IRateLimitProvider
{
    /// <summary>Forgets <paramref name="key"/>'s state: its next acquisition starts with the whole budget.</summary>
    /// <param name="key">The rate limiter's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns><see langword="true"/> if the key had a stored state (live, or expired and not yet pruned).</returns>
    ValueTask<bool> ResetAsync(string key, CancellationToken cancellationToken = default);
}
