using System.Threading.RateLimiting;

namespace NativeAotPersistence;

/// <summary>
/// Partitions of a <see cref="PartitionedRateLimiter{TResource}"/> whose limiters keep their state in the store: what
/// <see cref="RateLimitPartition"/>'s <c>Get…Limiter</c> methods are for the framework's in-memory limiters. Give them to
/// <see cref="PartitionedRateLimiter.Create{TResource, TPartitionKey}(Func{TResource, RateLimitPartition{TPartitionKey}}, IEqualityComparer{TPartitionKey})"/>
/// (ASP.NET Core's rate-limiting middleware, <c>AddPolicy</c>, takes the same partitions), and every process on the store
/// shares each partition's budget.
/// </summary>
/// <remarks>
/// The partition key is the store key (so it follows the keys' rules: not empty, valid UTF-16; the adapter's
/// <see cref="PersistenceAdapterOptions.KeyPrefix"/> namespaces it). The partitioned limiter disposes a
/// partition's limiter once it has been idle a while (its <see cref="RateLimiter.IdleDuration"/>): the budget is in the
/// store, so the next limiter made for the key carries on where the last one stopped.
/// </remarks>
/// <example>
/// <code>
/// using var limiter = PartitionedRateLimiter.Create&lt;string, string&gt;(user =&gt;
///     PersistentRateLimitPartition.GetFixedWindowLimiter(store, "api:" + user, _ =&gt; new FixedWindowRateLimiterOptions
///     {
///         PermitLimit = 100,
///         Window = TimeSpan.FromMinutes(1),
///     }));
/// </code>
/// </example>
public static class PersistentRateLimitPartition
{
    /// <summary>A partition whose limiter is a store-backed token bucket (<see cref="PersistentRateLimiter.CreateTokenBucket"/>).</summary>
    /// <param name="store">The adapter whose store holds the state.</param>
    /// <param name="partitionKey">The partition's key, also its key in the store.</param>
    /// <param name="factory">The partition's options, asked for when its limiter is made.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<string> GetTokenBucketLimiter(
        IPersistenceAdapter store, string partitionKey, Func<string, TokenBucketRateLimiterOptions> factory)
    {
        ArgumentNullException.ThrowIfNull(store);
        Keys.Validate(partitionKey);
        ArgumentNullException.ThrowIfNull(factory);
        return RateLimitPartition.Get(partitionKey, key => PersistentRateLimiter.CreateTokenBucket(store, key, factory(key)));
    }

    /// <summary>A partition whose limiter is a store-backed fixed window (<see cref="PersistentRateLimiter.CreateFixedWindow"/>).</summary>
    /// <param name="store">The adapter whose store holds the state.</param>
    /// <param name="partitionKey">The partition's key, also its key in the store.</param>
    /// <param name="factory">The partition's options, asked for when its limiter is made.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<string> GetFixedWindowLimiter(
        IPersistenceAdapter store, string partitionKey, Func<string, FixedWindowRateLimiterOptions> factory)
    {
        ArgumentNullException.ThrowIfNull(store);
        Keys.Validate(partitionKey);
        ArgumentNullException.ThrowIfNull(factory);
        return RateLimitPartition.Get(partitionKey, key => PersistentRateLimiter.CreateFixedWindow(store, key, factory(key)));
    }

    /// <summary>A partition whose limiter is a store-backed sliding window (<see cref="PersistentRateLimiter.CreateSlidingWindow"/>).</summary>
    /// <param name="store">The adapter whose store holds the state.</param>
    /// <param name="partitionKey">The partition's key, also its key in the store.</param>
    /// <param name="factory">The partition's options, asked for when its limiter is made.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<string> GetSlidingWindowLimiter(
        IPersistenceAdapter store, string partitionKey, Func<string, SlidingWindowRateLimiterOptions> factory)
    {
        ArgumentNullException.ThrowIfNull(store);
        Keys.Validate(partitionKey);
        ArgumentNullException.ThrowIfNull(factory);
        return RateLimitPartition.Get(partitionKey, key => PersistentRateLimiter.CreateSlidingWindow(store, key, factory(key)));
    }
}
