using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace NativeAotPersistence.AspNetCore;

/// <summary>
/// ASP.NET Core rate-limiting policies whose budget lives in the store (<see cref="PersistentRateLimitPartition"/>): one
/// partition per key (an API key, a tenant, a client address), shared by every instance of the application on the store.
/// Use them with <c>AddRateLimiter(options => options.AddPersistentTokenBucket(...))</c>, <c>UseRateLimiter()</c> and
/// <c>.RequireRateLimiting(policyName)</c>.
/// </summary>
/// <remarks>
/// The store is the <see cref="IPersistenceAdapter"/> of the application's services; a partition's row is keyed by the
/// policy's name and the partition key, so two policies on one key keep two budgets. A request whose partition key is
/// <see langword="null"/> or empty is not limited: partition on something every request has (the authenticated caller,
/// the client address), or refuse requests without it before the limiter, or a client escapes the limit by omitting it;
/// and a key a client can choose freely (a header) costs the store one row per distinct value. Each acquisition is one write transaction on the store; the limiters
/// never queue (their <c>QueueLimit</c> must be 0).
/// </remarks>
public static class PersistentRateLimiterPolicies
{
    /// <summary>Adds a policy of store-backed token buckets, one per partition key.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name, for <c>RequireRateLimiting</c>.</param>
    /// <param name="partitionKey">The request's partition (for example its API key); <see langword="null"/> or empty: not limited.</param>
    /// <param name="configure">A partition's options.</param>
    /// <returns>The rate limiter options.</returns>
    public static RateLimiterOptions AddPersistentTokenBucket(this RateLimiterOptions options, string policyName, Func<HttpContext, string?> partitionKey, Func<string, TokenBucketRateLimiterOptions> configure)
    {
        Check(options, policyName, partitionKey, configure);
        return options.AddPolicy(policyName, http => partitionKey(http) is { Length: > 0 } key
            ? PersistentRateLimitPartition.GetTokenBucketLimiter(Store(http), StoreKey(policyName, key), configure)
            : RateLimitPartition.GetNoLimiter(""));
    }

    /// <summary>Adds a policy of store-backed fixed windows, one per partition key.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name, for <c>RequireRateLimiting</c>.</param>
    /// <param name="partitionKey">The request's partition (for example its API key); <see langword="null"/> or empty: not limited.</param>
    /// <param name="configure">A partition's options.</param>
    /// <returns>The rate limiter options.</returns>
    public static RateLimiterOptions AddPersistentFixedWindow(this RateLimiterOptions options, string policyName, Func<HttpContext, string?> partitionKey, Func<string, FixedWindowRateLimiterOptions> configure)
    {
        Check(options, policyName, partitionKey, configure);
        return options.AddPolicy(policyName, http => partitionKey(http) is { Length: > 0 } key
            ? PersistentRateLimitPartition.GetFixedWindowLimiter(Store(http), StoreKey(policyName, key), configure)
            : RateLimitPartition.GetNoLimiter(""));
    }

    /// <summary>Adds a policy of store-backed sliding windows, one per partition key.</summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name, for <c>RequireRateLimiting</c>.</param>
    /// <param name="partitionKey">The request's partition (for example its API key); <see langword="null"/> or empty: not limited.</param>
    /// <param name="configure">A partition's options.</param>
    /// <returns>The rate limiter options.</returns>
    public static RateLimiterOptions AddPersistentSlidingWindow(this RateLimiterOptions options, string policyName, Func<HttpContext, string?> partitionKey, Func<string, SlidingWindowRateLimiterOptions> configure)
    {
        Check(options, policyName, partitionKey, configure);
        return options.AddPolicy(policyName, http => partitionKey(http) is { Length: > 0 } key
            ? PersistentRateLimitPartition.GetSlidingWindowLimiter(Store(http), StoreKey(policyName, key), configure)
            : RateLimitPartition.GetNoLimiter(""));
    }

    /// <summary>The partition's key in the store: the policy's name and the partition key, so two policies never share a budget.</summary>
    private static string StoreKey(string policyName, string key) =>
        string.Concat("aspnetcore:", policyName.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ":", policyName, ":", key);

    private static IPersistenceAdapter Store(HttpContext http) => http.RequestServices.GetRequiredService<IPersistenceAdapter>();

    private static void Check(RateLimiterOptions options, string policyName, Delegate partitionKey, Delegate configure)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(configure);
    }
}
