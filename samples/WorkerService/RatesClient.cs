using System.Globalization;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using NativeAotPersistence;
using Polly;
using Polly.Timeout;

namespace WorkerService;

/// <summary>
/// Exchange rates through the cache: a hit comes from <see cref="IDistributedCache"/> (sliding expiry), a miss calls
/// the rates API through a persistent circuit breaker whose state lives in the database — so every worker sharing the
/// file sees one breaker, and a restarted worker finds it as it was left.
/// </summary>
internal sealed class RatesClient
{
    private readonly IDistributedCache _cache;
    private readonly RatesApi _api;
    private readonly ResiliencePipeline<decimal> _pipeline;
    private readonly DistributedCacheEntryOptions _entryOptions;

    public RatesClient(IDistributedCache cache, ICircuitBreakerStateProvider breakers, RatesApi api, IOptions<WorkerOptions> options, ILogger<RatesClient> logger)
    {
        var settings = options.Value;
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
        var rate = await _pipeline.ExecuteAsync(
            static (state, ct) => state.Api.GetUsdRateAsync(state.Currency, ct), (Api: _api, Currency: currency), cancellationToken).ConfigureAwait(false);
        await _cache.SetAsync(key, Encoding.UTF8.GetBytes(rate.ToString(CultureInfo.InvariantCulture)), _entryOptions, cancellationToken).ConfigureAwait(false);
        return rate;
    }
}
