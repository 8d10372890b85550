using Microsoft.Extensions.Options;

namespace WorkerService;

/// <summary>The worker's settings: the "Worker" section of appsettings.json (bound by generated code).</summary>
internal sealed class WorkerOptions
{
    /// <summary>How many batches to handle before the host stops (<c>--iterations N</c>); 0 runs until stopped.</summary>
    public int Iterations { get; set; }

    /// <summary>The pause between two batches, and before retrying a batch the upstream failed.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The probability that the simulated rates API fails a call (0 to 0.95).</summary>
    public double FailureRate { get; set; } = 0.2;

    /// <summary>How long a cached exchange rate lives without being read.</summary>
    public TimeSpan RateCacheSlidingExpiration { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Consecutive upstream failures that open the persistent circuit breaker.</summary>
    public int BreakerFailureThreshold { get; set; } = 3;

    /// <summary>How long the breaker stays open before it lets a trial call through.</summary>
    public TimeSpan BreakerResetTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The rates API's quota: calls a second per currency, shared by every worker on the store (at least 1).</summary>
    public int RatesApiCallsPerSecond { get; set; } = 5;

    /// <summary>Every problem with these settings, one sentence each; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (Iterations < 0) yield return "Worker:Iterations must be 0 (run until stopped) or more.";
        if (Interval <= TimeSpan.Zero) yield return "Worker:Interval must be positive, e.g. \"00:00:00.100\".";
        if (!(FailureRate is >= 0 and <= 0.95)) yield return "Worker:FailureRate must be between 0 and 0.95.";
        if (RateCacheSlidingExpiration <= TimeSpan.Zero) yield return "Worker:RateCacheSlidingExpiration must be positive.";
        if (BreakerFailureThreshold < 1) yield return "Worker:BreakerFailureThreshold must be at least 1.";
        if (BreakerResetTimeout <= TimeSpan.Zero) yield return "Worker:BreakerResetTimeout must be positive.";
        if (RatesApiCallsPerSecond < 1) yield return "Worker:RatesApiCallsPerSecond must be at least 1.";
    }
}

/// <summary>Checks <see cref="WorkerOptions"/> when the host starts, listing every problem.</summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
