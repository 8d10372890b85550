namespace NativeAotPersistence;

/// <summary>
/// A store of leases (lock rows today): what <see cref="Lease"/> needs from the backend that granted it. Every
/// expiry is decided inside the statement (or transaction) that writes it, from <see cref="Time"/> read once the
/// store was free to write, so a lease counts from its grant, never from the call.
/// </summary>
internal interface ILeaseStore
{
    /// <summary>Gets the adapter's clock, which decides every expiry of this store.</summary>
    TimeProvider Time { get; }

    /// <summary>Gets the file or server named in errors, when there is one.</summary>
    string? DataSource { get; }

    /// <summary>
    /// Grants <paramref name="key"/> to <paramref name="owner"/> for <paramref name="ttlMs"/> from now if nobody else
    /// holds it live (or its holder is known to be dead on this host); the same owner gets a fresh TTL and keeps its token.
    /// </summary>
    /// <returns>The grant; <see cref="LeaseGrant.Token"/> 0 when another owner holds it.</returns>
    ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the expiry to now + <paramref name="ttlMs"/> if <paramref name="owner"/> still holds a live lease and, unless
    /// <paramref name="token"/> is 0, still under that fencing token: a late renewal never extends a later grant.
    /// </summary>
    /// <returns>The new expiry in Unix milliseconds, or 0 when the lease is no longer held (it is never revived).</returns>
    ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the lease only if <paramref name="owner"/> holds it under <paramref name="token"/> (any token when 0) and,
    /// unless <paramref name="expiresAtMs"/> is 0, only if it still expires then: a lease given up as lost must not
    /// remove a later grant to the same owner.
    /// </summary>
    ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken);

    /// <summary>
    /// Gets the expiry of <paramref name="owner"/>'s live lease on <paramref name="key"/> under <paramref name="token"/>,
    /// or 0 when it holds none.
    /// </summary>
    ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken);
}

/// <summary>
/// What a grant gave: the fencing token (0: another owner holds the key), the expiry, the dead holder it replaced, and
/// whether it renewed the same owner's live lease (a re-entrant grant, which another handle may be using).
/// </summary>
internal readonly record struct LeaseGrant(long Token, long ExpiresAtMs, string? TookOverFrom = null, bool Reentrant = false)
{
    public static LeaseGrant Refused => default;
}

/// <summary>Reads a lease's expiry from a lock's info: the owner's and, unless the token is 0, that grant's.</summary>
internal static class LeaseInfo
{
    public static long HeldUntil(LockInfo? info, string owner, long token) =>
        info is not null && string.Equals(info.Owner, owner, StringComparison.Ordinal) && (token == 0 || info.FencingToken == token)
            ? info.ExpiresAt.ToUnixTimeMilliseconds()
            : 0;
}
