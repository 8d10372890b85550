namespace NativeAotPersistence;

/// <summary>Waiting and auto-renewing acquisition for any <see cref="ISemaphoreProvider"/>.</summary>
public static class SemaphoreProviderExtensions
{
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Takes one of the <paramref name="permits"/> permits of <paramref name="key"/> as <paramref name="options"/> say:
    /// waiting (polling with jittered exponential backoff) for a holder to release or expire, with an owner,
    /// auto-renewed (<see cref="LockOptions.AutoExtend"/>; the permit's <see cref="ILockHandle.HandleLost"/> fires as a
    /// lock's does).
    /// </summary>
    /// <param name="semaphores">The semaphore provider.</param>
    /// <param name="key">The semaphore's key.</param>
    /// <param name="permits">How many holders the key allows at once: 1 to 100,000.</param>
    /// <param name="options">How to wait and hold (the same options as a lock's).</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>A handle to the permit, or <see langword="null"/> if the wait ran out.</returns>
    /// <exception cref="NotSupportedException"><see cref="LockOptions.AutoExtend"/> on a provider that is not one of this library's.</exception>
    public static async ValueTask<ILockHandle?> AcquireAsync(this ISemaphoreProvider semaphores, string key, int permits, LockOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(semaphores);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Wait < TimeSpan.Zero && options.Wait != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Wait, "Wait must be zero, positive or Timeout.InfiniteTimeSpan.");
        }

        var ttl = options.Ttl ?? semaphores.DefaultTtl;
        _ = options.AutoExtend ? Lease.ValidateRenewedTtl(ttl, nameof(options)) : Ttl.ValidateLock(ttl, nameof(options));
        var store = semaphores as ISemaphoreStore;
        if (options.AutoExtend && store is null)
        {
            throw new NotSupportedException($"{semaphores.GetType().Name} is not one of this library's semaphore providers: AutoExtend needs one.");
        }

        var time = options.TimeProvider ?? store?.Time ?? TimeProvider.System;
        var deadline = options.Wait == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : time.GetUtcNow() + options.Wait;
        var backoff = new Backoff(s_firstDelay, s_maxDelay);
        while (true)
        {
            var handle = store is not null
                ? await SemaphoreLeases.AcquireAsync(store, key, permits, options.Owner, ttl, options.AutoExtend, cancellationToken).ConfigureAwait(false)
                : await semaphores.AcquireAsync(key, permits, ttl, options.Owner, cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                return handle;
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(backoff.NextDelay(remaining), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
