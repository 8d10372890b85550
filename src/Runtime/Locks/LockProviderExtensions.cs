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
    /// <param name="ttl">How long the lock is held unless extended; finite and positive.</param>
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
    public static async ValueTask<ILockHandle?> AcquireAsync(this ILockProvider locks, string key, LockOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locks);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Wait < TimeSpan.Zero && options.Wait != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Wait, "Wait must be zero, positive or Timeout.InfiniteTimeSpan.");
        }

        var ttl = options.Ttl ?? locks.DefaultTtl;
        var time = options.TimeProvider;
        var deadline = options.Wait == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : time.GetUtcNow() + options.Wait;
        var delay = s_firstDelay;
        var started = time.GetTimestamp();
        using var activity = options.Wait == TimeSpan.Zero ? null : PersistenceTelemetry.StartActivity("nap.lock.wait");
        activity?.SetTag("nap.lock.key", key);
        ILockHandle? handle;
        while (true)
        {
            handle = await locks.AcquireAsync(key, ttl, options.Owner, cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                RecordWait(time, started, "acquired");
                activity?.SetTag("nap.outcome", "acquired");
                break;
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                RecordWait(time, started, "timed_out");
                activity?.SetTag("nap.outcome", "timed_out");
                return null;
            }

            var jittered = delay * (0.5 + (Random.Shared.NextDouble() * 0.5));
            await Task.Delay(jittered < remaining ? jittered : remaining, time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < s_maxDelay ? delay * 2 : s_maxDelay;
        }

        return options.AutoExtend ? new AutoExtendingLockHandle(handle, ttl, time) : handle;
    }

    private static void RecordWait(TimeProvider time, long started, string outcome)
    {
        PersistenceTelemetry.LockWaited(time.GetElapsedTime(started), outcome);
    }
}
