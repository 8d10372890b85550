namespace NativeAotPersistence;

/// <summary>
/// Mutual exclusion by key with a TTL: in process (<see cref="LockScope.Process"/>) or across every process using
/// the database (<see cref="LockScope.Database"/>). A lock is held while now is before its expiry.
/// </summary>
/// <remarks>
/// The same owner acquiring again while it holds the lock gets a handle to the same lock and a fresh TTL (re-entrant,
/// not counted: one release releases, and so does the release of a handle whose lease was lost). Once the lock has
/// changed hands (expired, released, taken over), a handle of an earlier grant never renews or releases a later one,
/// even for the same owner. Lock TTLs must be finite, positive and at most 30 days. A lease counts from its grant (after any wait for a busy
/// store), so a handle is never returned already expired. Each acquisition by a new holder gets a fencing token larger than any
/// handed out before.
/// </remarks>
public interface ILockProvider
{
    /// <summary>Gets the TTL used by overloads that take none (<see cref="PersistenceAdapterOptions.DefaultLockTtl"/>).</summary>
    TimeSpan DefaultTtl { get; }

    /// <summary>Tries once to acquire the lock <paramref name="key"/>.</summary>
    /// <param name="key">The lock's key.</param>
    /// <param name="ttl">How long the lock is held unless extended, from its grant; finite, positive, at most 30 days.</param>
    /// <param name="owner">The owner; a unique one is generated when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>A handle, or <see langword="null"/> if another owner holds the lock.</returns>
    ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default);

    /// <summary>Sets the lock's expiry to now + <paramref name="ttl"/> if <paramref name="owner"/> still holds it.</summary>
    /// <param name="key">The lock's key.</param>
    /// <param name="ttl">The new TTL, from now; finite, positive, at most 30 days.</param>
    /// <param name="owner">The owner that holds the lock.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="false"/> if the lock expired, is missing or has another owner. An expired lock is never revived.</returns>
    ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default);

    /// <summary>Removes the lock whoever holds it.</summary>
    /// <param name="key">The lock's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets the live holder of the lock, if any.</summary>
    /// <param name="key">The lock's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default);
}
