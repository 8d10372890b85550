using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a rate-limit algorithm as a pure function over one key's state, what
/// <see cref="IRateLimitStore.UpdateAsync"/> runs inside the backend's transaction. The library's own code (never user
/// code): a backend may run it inside its write transaction, and run it again when it retries that transaction.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class RateLimitRule
{
    /// <summary>Decides one update of a key.</summary>
    /// <param name="stored">The key's stored state, or <see langword="null"/> when it has none (or it expired).</param>
    /// <param name="nowMs">The store's clock (Unix ms), read while the key is held.</param>
    /// <param name="argument">The caller's argument (the permits asked for).</param>
    /// <param name="state">The key's new state, which the backend stores.</param>
    /// <param name="expiresAtMs">
    /// When the new state is worth no more than none (Unix ms): from then on the store passes <see langword="null"/> to
    /// the next update, and pruning reclaims the row.
    /// </param>
    /// <returns>What the update returns to its caller.</returns>
    public abstract long Apply(string? stored, long nowMs, long argument, out string state, out long expiresAtMs);
}

/// <summary>
/// Backend kit: the one primitive a backend gives the store-backed rate limiters (<see cref="PersistentRateLimiter"/>):
/// an atomic read-modify-write of one key's state. The algorithms are the library's, backend-independent; the backend
/// only makes each update one step for every process (or machine) on the store.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IRateLimitStore
{
    /// <summary>Gets the adapter's clock.</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// In one transaction: reads <paramref name="key"/>'s state (<see langword="null"/> when absent or expired), reads the
    /// clock, calls <paramref name="rule"/>'s <see cref="RateLimitRule.Apply"/>, and stores the state and expiry it returns.
    /// </summary>
    /// <param name="key">The caller's key, already validated.</param>
    /// <param name="rule">The library's algorithm.</param>
    /// <param name="argument">Passed to <paramref name="rule"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>What <see cref="RateLimitRule.Apply"/> returned.</returns>
    ValueTask<long> UpdateAsync(string key, RateLimitRule rule, long argument, CancellationToken cancellationToken);
}
