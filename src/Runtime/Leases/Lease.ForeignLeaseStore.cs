namespace NativeAotPersistence.Backends;

public sealed partial class Lease
{
    /// <summary>The store of a lock provider this library did not write, reached through its public API.</summary>
    private sealed class ForeignLeaseStore(ILockProvider locks, ILockHandle inner, TimeProvider time) : ILeaseStore
    {
        public TimeProvider Time => time;

        public string? DataSource => null;

        public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken) =>
            throw new NotSupportedException("A wrapped handle is granted by its own provider.");

        public async ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken)
        {
            // The provider does not say when its statement ran: count from before the call, which can only shorten the lease.
            var before = Ttl.NowMs(time);
            return await inner.ExtendAsync(TimeSpan.FromMilliseconds(ttlMs), cancellationToken).ConfigureAwait(false)
                ? Ttl.LockExpiresAt(ttlMs, before)
                : 0;
        }

        public async ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
        {
            // The provider's own handle knows its row: releasing it is conditional there, if at all.
            await inner.ReleaseAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        public async ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
            LeaseInfo.HeldUntil(await locks.GetInfoAsync(key, cancellationToken).ConfigureAwait(false), owner, token);
    }
}
