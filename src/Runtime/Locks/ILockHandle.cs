namespace NativeAotPersistence;

/// <summary>A held lock. Disposing it releases it.</summary>
public interface ILockHandle : IAsyncDisposable
{
    /// <summary>Gets the lock's key, without prefix.</summary>
    string Key { get; }

    /// <summary>Gets the owner that holds the lock.</summary>
    string Owner { get; }

    /// <summary>
    /// Gets the fencing token: it strictly increases each time the key changes hands, so code that writes elsewhere
    /// under the lock can pass it along and have stale holders rejected there.
    /// </summary>
    long FencingToken { get; }

    /// <summary>
    /// Gets a token that fires when this process knows the lock is no longer held: released, expired without
    /// renewal, a renewal failed, or another owner was seen holding the key.
    /// </summary>
    CancellationToken HandleLost { get; }

    /// <summary>Releases the lock if this owner still holds it; a second release does nothing.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask ReleaseAsync(CancellationToken cancellationToken = default);

    /// <summary>Sets the expiry to now + <paramref name="ttl"/> if this owner still holds a live lock.</summary>
    /// <param name="ttl">The new TTL, from now; finite, positive, at most 30 days.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="false"/> if the lock expired or was taken over; it is never revived.</returns>
    ValueTask<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Gets whether this owner still holds a live lock.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<bool> IsValidAsync(CancellationToken cancellationToken = default);
}
