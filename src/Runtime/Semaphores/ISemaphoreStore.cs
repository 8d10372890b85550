using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: what a backend's semaphore provider gives <see cref="SemaphoreLeases"/>, which turns its grants into
/// permits that renew, release and detect loss as locks do (<see cref="Lease"/>). Renewal, release and the expiry
/// lookup address one permit by key, owner and fencing token, as <see cref="ILeaseStore"/>'s members do.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ISemaphoreStore
{
    /// <summary>Gets the adapter's clock, which decides every expiry of this store.</summary>
    TimeProvider Time { get; }

    /// <summary>Gets the file or server named in errors, when there is one.</summary>
    string? DataSource { get; }

    /// <summary>
    /// In one transaction: drops the key's expired permits and those of holders known to be dead on this host; refuses a
    /// <paramref name="permits"/> other than the live permits' (<see cref="ArgumentException"/>); renews the owner's live
    /// permit (re-entrant); else grants a new permit, with the store's next fencing token, if fewer than
    /// <paramref name="permits"/> are live.
    /// </summary>
    /// <param name="key">The caller's key, already validated.</param>
    /// <param name="owner">The owner, already validated.</param>
    /// <param name="permits">The limit, already validated (<see cref="SemaphoreLeases.ValidatePermits"/>).</param>
    /// <param name="ttlMs">The TTL in milliseconds, already validated.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The grant; <see cref="LeaseGrant.Refused"/> when every permit is held by others.</returns>
    ValueTask<LeaseGrant> GrantAsync(string key, string owner, int permits, long ttlMs, CancellationToken cancellationToken);

    /// <inheritdoc cref="ILeaseStore.RenewAsync"/>
    ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken);

    /// <inheritdoc cref="ILeaseStore.ReleaseAsync"/>
    ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken);

    /// <inheritdoc cref="ILeaseStore.HeldUntilAsync"/>
    ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken);
}

/// <summary>Backend kit: a semaphore permit as a <see cref="Lease"/>, for every backend's semaphore provider.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SemaphoreLeases
{
    /// <summary>The most permits a key may have.</summary>
    public const int MaxPermits = 100_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="permits"/> is 1 to <see cref="MaxPermits"/>.</summary>
    /// <param name="permits">The limit.</param>
    /// <param name="paramName">The parameter named in the error.</param>
    public static void ValidatePermits(int permits, string paramName = "permits")
    {
        if (permits is < 1 or > MaxPermits)
        {
            throw new ArgumentOutOfRangeException(paramName, permits, $"A semaphore allows 1 to {MaxPermits} permits.");
        }
    }

    /// <summary>The error for a limit other than the key's live permits'.</summary>
    /// <param name="key">The key.</param>
    /// <param name="asked">The limit asked for.</param>
    /// <param name="stored">The limit the live permits were granted with.</param>
    /// <param name="paramName">The parameter named in the error: the caller's limit.</param>
    /// <returns>The exception to throw.</returns>
    public static ArgumentException LimitMismatch(string key, int asked, int stored, string paramName = "permits") => new(
        $"The semaphore '{key}' is held with a limit of {stored} permits; asking for it with {asked} would make two limits. " +
        "Ask with the same limit, or wait until its permits are released or expired: the next grant then sets the limit.",
        paramName);

    /// <summary>Validates the arguments and takes one permit as a <see cref="Lease"/> (once).</summary>
    /// <param name="store">The backend's semaphore store.</param>
    /// <param name="key">The key (validated here).</param>
    /// <param name="permits">The limit (validated here).</param>
    /// <param name="owner">The owner; a unique one is generated when <see langword="null"/>.</param>
    /// <param name="ttl">The TTL (validated here).</param>
    /// <param name="autoRenew">Whether the permit renews itself, as an auto-extended lock does.</param>
    /// <param name="cancellationToken">Cancels the acquisition; a permit granted meanwhile is released.</param>
    /// <returns>The permit, or <see langword="null"/> when every permit is held by others.</returns>
    public static async ValueTask<ILockHandle?> AcquireAsync(
        ISemaphoreStore store, string key, int permits, string? owner, TimeSpan ttl, bool autoRenew, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        Keys.Validate(key);
        ValidatePermits(permits);
        return await Lease.AcquireAsync(new PermitStore(store, permits), key, LockOwners.Validate(owner), ttl, autoRenew, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One semaphore's store as a lease store: grants with the limit the acquisition asked for.</summary>
    private sealed class PermitStore(ISemaphoreStore store, int permits) : ILeaseStore
    {
        public TimeProvider Time => store.Time;

        public string? DataSource => store.DataSource;

        public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken) =>
            store.GrantAsync(key, owner, permits, ttlMs, cancellationToken);

        public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken) =>
            store.RenewAsync(key, owner, token, ttlMs, cancellationToken);

        public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken) =>
            store.ReleaseAsync(key, owner, token, expiresAtMs, cancellationToken);

        public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
            store.HeldUntilAsync(key, owner, token, cancellationToken);
    }
}
