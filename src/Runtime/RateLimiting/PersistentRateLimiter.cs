using System.Threading.RateLimiting;

namespace NativeAotPersistence;

/// <summary>
/// <see cref="RateLimiter"/>s whose state lives in the store (<see cref="IPersistenceAdapter.RateLimits"/>), so every
/// process on the file (and, on PostgreSQL, every machine on the server) that uses the same key shares one budget:
/// a token bucket, a fixed window and a sliding window, with the framework's limiters' semantics.
/// </summary>
/// <remarks>
/// <para>
/// Each acquisition is one atomic read-modify-write of the key's state in the store, on the adapter's clock
/// (<see cref="PersistenceAdapterOptions.TimeProvider"/>); replenishment is computed from the time elapsed (whole
/// periods, windows or segments since the key's first use), so no timer runs and <c>AutoReplenishment</c> is ignored
/// (<see cref="ReplenishingRateLimiter.TryReplenish"/> does nothing and returns <see langword="false"/>).
/// </para>
/// <para>
/// <see cref="RateLimiter.AttemptAcquire(int)"/> completes synchronously when the store's update did (in memory, an idle
/// SQLite writer) and otherwise blocks the calling thread until it completes: prefer
/// <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/> on PostgreSQL. With a <c>QueueLimit</c> above 0,
/// <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/> queues in this process: up to <c>QueueLimit</c> permits
/// wait at once (more are refused), each waiter polling the store with a jittered backoff until its permits are granted,
/// it is cancelled, or the limiter is disposed (a refused lease). There is no fleet-wide first-in-first-out order:
/// waiters of different processes (and of one process) are served as their polls find permits, whatever
/// <c>QueueProcessingOrder</c> says.
/// </para>
/// <para>
/// The limiter's own statistics are this process's: its leases, its queue, and the permits left as of its last
/// acquisition. A key idle long enough to have its whole budget back has no state any more: its next acquisition starts
/// a new replenishment grid (a new window) at its own time.
/// </para>
/// </remarks>
public static class PersistentRateLimiter
{
    /// <summary>Creates a token bucket whose tokens live in <paramref name="store"/> under <paramref name="key"/>.</summary>
    /// <param name="store">The adapter whose store holds the state.</param>
    /// <param name="key">The limiter's key: every limiter on the store with this key shares its tokens.</param>
    /// <param name="options">TokenLimit, TokensPerPeriod, ReplenishmentPeriod (1 ms to 10 years), QueueLimit.</param>
    /// <returns>The limiter.</returns>
    public static RateLimiter CreateTokenBucket(IPersistenceAdapter store, string key, TokenBucketRateLimiterOptions options)
    {
        var rateStore = Store(store, key, options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.QueueLimit, "options.QueueLimit");
        return new StoreRateLimiter(rateStore, key, new TokenBucketAlgorithm(options.TokenLimit, options.TokensPerPeriod, options.ReplenishmentPeriod), options.QueueLimit);
    }

    /// <summary>Creates a fixed-window limiter whose window lives in <paramref name="store"/> under <paramref name="key"/>.</summary>
    /// <param name="store">The adapter whose store holds the state.</param>
    /// <param name="key">The limiter's key: every limiter on the store with this key shares its windows.</param>
    /// <param name="options">PermitLimit, Window (1 ms to 10 years), QueueLimit.</param>
    /// <returns>The limiter.</returns>
    public static RateLimiter CreateFixedWindow(IPersistenceAdapter store, string key, FixedWindowRateLimiterOptions options)
    {
        var rateStore = Store(store, key, options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.QueueLimit, "options.QueueLimit");
        return new StoreRateLimiter(rateStore, key, new FixedWindowAlgorithm(options.PermitLimit, options.Window), options.QueueLimit);
    }

    /// <summary>Creates a sliding-window limiter whose segments live in <paramref name="store"/> under <paramref name="key"/>.</summary>
    /// <param name="store">The adapter whose store holds the state.</param>
    /// <param name="key">The limiter's key: every limiter on the store with this key shares its window.</param>
    /// <param name="options">PermitLimit, Window, SegmentsPerWindow (1 to 1,000; a segment of 1 ms to 10 years), QueueLimit.</param>
    /// <returns>The limiter.</returns>
    public static RateLimiter CreateSlidingWindow(IPersistenceAdapter store, string key, SlidingWindowRateLimiterOptions options)
    {
        var rateStore = Store(store, key, options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.QueueLimit, "options.QueueLimit");
        return new StoreRateLimiter(rateStore, key, new SlidingWindowAlgorithm(options.PermitLimit, options.Window, options.SegmentsPerWindow), options.QueueLimit);
    }

    private static IRateLimitStore Store(IPersistenceAdapter store, string key, object options)
    {
        ArgumentNullException.ThrowIfNull(store);
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(options);
        return store.RateLimits as IRateLimitStore ?? throw new ArgumentException(
            $"The adapter's rate-limit provider ({store.RateLimits?.GetType().Name ?? "null"}) does not implement {nameof(IRateLimitStore)}.", nameof(store));
    }
}
