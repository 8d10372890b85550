using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using NativeAotPersistence;
using Polly;
using Polly.Timeout;

namespace WorkerService;

/// <summary>
/// Exchange rates through the cache: a hit comes from <see cref="IDistributedCache"/> (sliding expiry), a miss calls
/// the rates API through a persistent circuit breaker whose state lives in the database — so every worker sharing the
/// file sees one breaker, and a restarted worker finds it as it was left. The API's quota is per currency: a
/// partitioned rate limiter whose token buckets live in the store, one per currency, shared by every worker on the file.
/// </summary>
internal sealed class RatesClient : IDisposable
{
    private readonly IDistributedCache _cache;
    private readonly RatesApi _api;
    private readonly ResiliencePipeline<decimal> _pipeline;
    private readonly DistributedCacheEntryOptions _entryOptions;
    private readonly PartitionedRateLimiter<string> _quota;

    public RatesClient(
        IDistributedCache cache, ICircuitBreakerStateProvider breakers, IPersistenceAdapter store, RatesApi api, IOptions<WorkerOptions> options, ILogger<RatesClient> logger)
    {
        var settings = options.Value;

        // One token bucket per currency, in the store: every worker on the file spends the same per-currency budget. A
        // call waits in this process's queue for a permit; the limiter drops the bucket of a currency idle for a while
        // (its tokens stay in the store).
        _quota = PartitionedRateLimiter.Create<string, string>(currency => PersistentRateLimitPartition.GetTokenBucketLimiter(
            store,
            "rates-api:" + currency,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.RatesApiCallsPerSecond,
                TokensPerPeriod = settings.RatesApiCallsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 100,
            }));
        _cache = cache;
        _api = api;
        _entryOptions = new DistributedCacheEntryOptions { SlidingExpiration = settings.RateCacheSlidingExpiration };
        _pipeline = new ResiliencePipelineBuilder<decimal>()
            .AddPersistentCircuitBreaker(breakers, "rates-api", new PersistentCircuitBreakerOptions<decimal>
            {
                FailureThreshold = settings.BreakerFailureThreshold,
                ResetTimeout = settings.BreakerResetTimeout,
                ShouldHandle = new PredicateBuilder<decimal>().Handle<RatesUnavailableException>().Handle<TimeoutRejectedException>(),
                OnStateChanged = args =>
                {
                    logger.BreakerChanged(args.Transition.Key, args.Transition.From, args.Transition.To);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(2))
            .Build();
    }

    /// <summary>Rates served from the cache.</summary>
    public int CacheHits { get; private set; }

    /// <summary>Rates the cache did not hold (each one a call through the breaker).</summary>
    public int CacheMisses { get; private set; }

    /// <summary>US dollars per unit of <paramref name="currency"/>.</summary>
    /// <exception cref="RatesUnavailableException">The rates API failed.</exception>
    /// <exception cref="PersistentBrokenCircuitException">The breaker is open: the API was not called.</exception>
    public async ValueTask<decimal> GetUsdRateAsync(string currency, CancellationToken cancellationToken)
    {
        var key = "rate:" + currency;
        if (await _cache.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            CacheHits++;
            return decimal.Parse(Encoding.UTF8.GetString(cached), CultureInfo.InvariantCulture);
        }

        CacheMisses++;
        using (var permit = await _quota.AcquireAsync(currency, 1, cancellationToken).ConfigureAwait(false))
        {
            if (!permit.IsAcquired)
            {
                throw new RatesUnavailableException($"429 Too Many Requests: over the rates API's quota for {currency}");
            }
        }

        var rate = await _pipeline.ExecuteAsync(
            static (state, ct) => state.Api.GetUsdRateAsync(state.Currency, ct), (Api: _api, Currency: currency), cancellationToken).ConfigureAwait(false);
        await _cache.SetAsync(key, Encoding.UTF8.GetBytes(rate.ToString(CultureInfo.InvariantCulture)), _entryOptions, cancellationToken).ConfigureAwait(false);
        return rate;
    }

    /// <summary>Disposes the quota's limiters (their tokens stay in the store).</summary>
    public void Dispose() => _quota.Dispose();
}
