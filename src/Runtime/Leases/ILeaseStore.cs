using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a store of leases (lock rows today): what <see cref="Lease"/> needs from the backend that granted it.
/// Every expiry is decided inside the statement (or transaction) that writes it, from <see cref="Time"/> read once the
/// store was free to write, so a lease counts from its grant, never from the call.
/// </summary>
/// <remarks>
/// A backend's <see cref="LockScope.Database"/> lock provider implements it and answers
/// <see cref="ILockProvider.AcquireAsync"/> with <see cref="Lease.AcquireAsync"/>, which turns grants into handles
/// that renew, release and detect loss the same way on every backend. Every operation after the grant names the
/// grant's fencing token, so nothing a lease sends late reaches a later grant. Expiries are Unix milliseconds
/// (<see cref="Ttl.LockExpiresAt(long, long)"/>).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILeaseStore
{
    /// <summary>Gets the adapter's clock, which decides every expiry of this store.</summary>
    TimeProvider Time { get; }

    /// <summary>Gets the file or server named in errors, when there is one.</summary>
    string? DataSource { get; }

    /// <summary>
    /// Grants <paramref name="key"/> to <paramref name="owner"/> for <paramref name="ttlMs"/> from now if nobody else
    /// holds it live (or its holder is known to be dead on this host); the same owner gets a fresh TTL and keeps its token.
    /// </summary>
    /// <param name="key">The caller's key, already validated.</param>
    /// <param name="owner">The owner, already validated.</param>
    /// <param name="ttlMs">The TTL in milliseconds, already validated (<see cref="Ttl.ValidateLock"/>).</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The grant; <see cref="LeaseGrant.Refused"/> (token 0) when another owner holds it.</returns>
    ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the expiry to now + <paramref name="ttlMs"/> if <paramref name="owner"/> still holds a live lease and, unless
    /// <paramref name="token"/> is 0, still under that fencing token: a late renewal never extends a later grant.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="token">The grant's fencing token, or 0 for any grant to <paramref name="owner"/>.</param>
    /// <param name="ttlMs">The new TTL in milliseconds.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The new expiry in Unix milliseconds, or 0 when the lease is no longer held (it is never revived).</returns>
    ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the lease only if <paramref name="owner"/> holds it under <paramref name="token"/> (any token when 0) and,
    /// unless <paramref name="expiresAtMs"/> is 0, only if it still expires then: a lease given up as lost must not
    /// remove a later grant to the same owner. A store that is no longer connected answers <see langword="false"/>
    /// rather than throwing: handles are released on dispose.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="token">The grant's fencing token, or 0 for any grant to <paramref name="owner"/>.</param>
    /// <param name="expiresAtMs">The expiry the lease last knew, or 0 for any.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>Whether a lease was removed.</returns>
    ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken);

    /// <summary>
    /// Gets the expiry of <paramref name="owner"/>'s live lease on <paramref name="key"/> under <paramref name="token"/>,
    /// or 0 when it holds none (<see cref="LeaseInfo.HeldUntil"/> reads it from a <see cref="LockInfo"/>).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="token">The grant's fencing token, or 0 for any grant to <paramref name="owner"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The expiry in Unix milliseconds, or 0.</returns>
    ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken);
}

/// <summary>
/// Backend kit: what a grant (<see cref="ILeaseStore.GrantAsync"/>) gave: the fencing token (0: another owner holds
/// the key), the expiry, the dead holder it replaced, and whether it renewed the same owner's live lease (a re-entrant
/// grant, which another handle may be using).
/// </summary>
/// <param name="Token">The fencing token (positive; a re-entrant grant keeps the one it renewed), or 0 for a refusal.</param>
/// <param name="ExpiresAtMs">The expiry in Unix milliseconds, decided when the row was granted.</param>
/// <param name="TookOverFrom">The owner of a lease taken over because its holder was gone (<see cref="HolderIdentity.IsGone"/>), or <see langword="null"/>.</param>
/// <param name="Reentrant">Whether the grant renewed the same owner's live lease (the token is kept) instead of creating one.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct LeaseGrant(long Token, long ExpiresAtMs, string? TookOverFrom = null, bool Reentrant = false)
{
    /// <summary>Gets the grant of a key another owner holds: token 0.</summary>
    public static LeaseGrant Refused => default;
}

/// <summary>Backend kit: reads a lease's expiry from a lock's info, for <see cref="ILeaseStore.HeldUntilAsync"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LeaseInfo
{
    /// <summary>The expiry of <paramref name="owner"/>'s lease in <paramref name="info"/> and, unless <paramref name="token"/> is 0, of that grant.</summary>
    /// <param name="info">The key's live lock, or <see langword="null"/>.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="token">The grant's fencing token, or 0 for any.</param>
    /// <returns>The expiry in Unix milliseconds, or 0 when the owner (or that grant) does not hold it.</returns>
    public static long HeldUntil(LockInfo? info, string owner, long token) =>
        info is not null && string.Equals(info.Owner, owner, StringComparison.Ordinal) && (token == 0 || info.FencingToken == token)
            ? info.ExpiresAt.ToUnixTimeMilliseconds()
            : 0;
}
