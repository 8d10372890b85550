namespace NativeAotPersistence;

/// <summary>Waiting and auto-renewing acquisition for any <see cref="ILockProvider"/>.</summary>
public static class LockProviderExtensions
{
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Acquires <paramref name="key"/>, waiting up to <paramref name="wait"/> for another owner to release it or for
    /// its lock to expire, polling with jittered exponential backoff.
    /// </summary>
    /// <param name="locks">The lock provider.</param>
    /// <param name="key">The lock's key.</param>
    /// <param name="ttl">How long the lock is held unless extended: finite, positive, at most 30 days.</param>
    /// <param name="wait">How long to wait; zero tries once.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>A handle, or <see langword="null"/> if the wait ran out.</returns>
    public static ValueTask<ILockHandle?> AcquireAsync(this ILockProvider locks, string key, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken = default) =>
        locks.AcquireAsync(key, new LockOptions { Ttl = ttl, Wait = wait }, cancellationToken);

    /// <summary>Acquires <paramref name="key"/> as <paramref name="options"/> say: waiting, with an owner, auto-renewed.</summary>
    /// <param name="locks">The lock provider.</param>
    /// <param name="key">The lock's key.</param>
    /// <param name="options">How to wait and hold.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>A handle, or <see langword="null"/> if the wait ran out.</returns>
    /// <remarks>
    /// A handle is never returned already expired: the lease counts from the moment the store granted it, and one
    /// handed over too late to be renewed in time is renewed at once (or granted again). With
    /// <see cref="LockOptions.AutoExtend"/>, <see cref="ILockHandle.HandleLost"/> fires when a renewal is overdue,
    /// fails or finds the lock taken over; a process stopped for longer than the TTL (SIGSTOP, a long GC pause, a
    /// suspended VM) cannot be told in time, so pass <see cref="ILockHandle.FencingToken"/> to whatever the lock guards.
    /// </remarks>
    public static async ValueTask<ILockHandle?> AcquireAsync(this ILockProvider locks, string key, LockOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locks);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Wait < TimeSpan.Zero && options.Wait != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Wait, "Wait must be zero, positive or Timeout.InfiniteTimeSpan.");
        }

        var ttl = options.Ttl ?? locks.DefaultTtl;
        _ = options.AutoExtend ? Lease.ValidateRenewedTtl(ttl, nameof(options)) : Ttl.ValidateLock(ttl, nameof(options));
        var store = locks as ILeaseStore;
        var time = options.TimeProvider ?? store?.Time ?? TimeProvider.System;
        var owner = options.Owner;
        var deadline = options.Wait == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : time.GetUtcNow() + options.Wait;
        var backoff = new Backoff(s_firstDelay, s_maxDelay);
        var started = time.GetTimestamp();
        using var activity = options.Wait == TimeSpan.Zero ? null : PersistenceTelemetry.StartActivity("nap.lock.wait");
        activity?.SetTag("nap.lock.key", key);
        while (true)
        {
            var handle = await TryAcquireAsync(locks, store, time, key, ttl, owner, options.AutoExtend, cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                RecordWait(time, started, "acquired");
                activity?.SetTag("nap.outcome", "acquired");
                return handle;
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                RecordWait(time, started, "timed_out");
                activity?.SetTag("nap.outcome", "timed_out");
                return null;
            }

            await Task.Delay(backoff.NextDelay(remaining), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One attempt: a lease from this library's stores, or a foreign provider's handle wrapped to renew like one.</summary>
    private static async ValueTask<ILockHandle?> TryAcquireAsync(
        ILockProvider locks, ILeaseStore? store, TimeProvider time, string key, TimeSpan ttl, string? owner, bool autoRenew, CancellationToken cancellationToken)
    {
        if (store is not null)
        {
            Keys.Validate(key);
            return await Lease.AcquireAsync(store, key, LockOwners.Validate(owner), ttl, autoRenew, cancellationToken).ConfigureAwait(false);
        }

        var before = Ttl.NowMs(time);
        var handle = await locks.AcquireAsync(key, ttl, owner, cancellationToken).ConfigureAwait(false);
        return handle is not null && autoRenew ? Lease.Wrap(locks, handle, time, before, ttl) : handle;
    }

    private static void RecordWait(TimeProvider time, long started, string outcome)
    {
        PersistenceTelemetry.LockWaited(time.GetElapsedTime(started), outcome);
    }
}
