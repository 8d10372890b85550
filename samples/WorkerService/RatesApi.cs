using Microsoft.Extensions.Options;

namespace WorkerService;

/// <summary>The rates API could not answer (a stand-in for an HTTP 503 or a connection reset).</summary>
internal sealed class RatesUnavailableException(string message) : Exception(message);

/// <summary>
/// A simulated, flaky exchange-rate API: each call takes a few milliseconds and fails with
/// <see cref="WorkerOptions.FailureRate"/>; calls 10 to 17 fall into an outage and all fail (so the breaker opens).
/// </summary>
internal sealed class RatesApi(IOptions<WorkerOptions> options)
{
    private long _calls;

    /// <summary>How many calls reached the API (successful or not).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>US dollars per unit of <paramref name="currency"/>.</summary>
    public async ValueTask<decimal> GetUsdRateAsync(string currency, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        await Task.Delay(TimeSpan.FromMilliseconds(3), cancellationToken).ConfigureAwait(false);
        if (call is >= 10 and <= 17)
        {
            throw new RatesUnavailableException($"rates API: outage, connection refused (call {call}, {currency})");
        }

        if (InvoiceFeed.Mix((ulong)call * 31) % 1_000 < options.Value.FailureRate * 1_000)
        {
            throw new RatesUnavailableException($"rates API: 503 Service Unavailable (call {call}, {currency})");
        }

        return currency switch
        {
            "EUR" => 1.0812m,
            "GBP" => 1.2634m,
            "JPY" => 0.0066m,
            "CHF" => 1.1290m,
            "SEK" => 0.0947m,
            "CAD" => 0.7121m,
            _ => throw new ArgumentOutOfRangeException(nameof(currency), currency, "unknown currency"),
        };
    }
}
