namespace NativeAotPersistence;

/// <summary>How the fleet breaker's rules decide that a closed circuit opens.</summary>
internal enum CircuitMode
{
    /// <summary>After <see cref="CircuitPolicy.FailureThreshold"/> consecutive failures (the stored failure count).</summary>
    Consecutive,

    /// <summary>
    /// Polly v8's failure-ratio model: when a failure leaves at least <see cref="CircuitPolicy.MinimumThroughput"/> calls
    /// in the sampling window, of which at least <see cref="CircuitPolicy.FailureRatio"/> failed.
    /// </summary>
    Ratio,
}

/// <summary>
/// The fleet breaker's settings as its rules use them (immutable; times in whole milliseconds, the store's clock unit).
/// Built from <see cref="CircuitBreakerOptions"/> by <see cref="From"/>, or directly by <see cref="Consecutive"/> and
/// <see cref="Ratio"/>.
/// </summary>
/// <remarks>
/// A time span becomes milliseconds rounded up (<see cref="ToMs"/>): with a clock that counts whole milliseconds,
/// "at least <c>span</c> has passed" is then exactly "at least that many milliseconds have passed", which keeps the
/// decisions the same as Polly's (which compares ticks).
/// </remarks>
internal sealed class CircuitPolicy
{
    /// <summary>The number of buckets the sampling window is cut into (Polly's rolling health metrics use 10).</summary>
    public const int WindowBuckets = 10;

    private CircuitPolicy(
        CircuitMode mode,
        int failureThreshold,
        double failureRatio,
        TimeSpan samplingDuration,
        int minimumThroughput,
        TimeSpan breakDuration,
        int successThreshold,
        int halfOpenMaxTrials,
        TimeSpan trialLeaseTtl)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failureThreshold, 1, nameof(failureThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumThroughput, 1, nameof(minimumThroughput));
        ArgumentOutOfRangeException.ThrowIfLessThan(successThreshold, 1, nameof(successThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(halfOpenMaxTrials, 1, nameof(halfOpenMaxTrials));
        if (!(failureRatio >= 0 && failureRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(failureRatio), failureRatio, "The failure ratio must be 0 to 1.");
        }

        RequireMs(samplingDuration, nameof(samplingDuration));
        RequireMs(breakDuration, nameof(breakDuration));
        RequireMs(trialLeaseTtl, nameof(trialLeaseTtl));

        Mode = mode;
        FailureThreshold = failureThreshold;
        FailureRatio = failureRatio;
        MinimumThroughput = minimumThroughput;
        SamplingMs = ToMs(samplingDuration);

        // Polly's bucket: the sampling duration's ticks divided by 10 (integer division), compared in ticks.
        BucketMs = Math.Max(1, ToMs(TimeSpan.FromTicks(samplingDuration.Ticks / WindowBuckets)));
        BreakMs = ToMs(breakDuration);
        SuccessThreshold = successThreshold;
        HalfOpenMaxTrials = halfOpenMaxTrials;
        TrialLeaseTtlMs = ToMs(trialLeaseTtl);
    }

    /// <summary>Gets how a closed circuit decides to open.</summary>
    public CircuitMode Mode { get; }

    /// <summary>Gets the consecutive failures that open the circuit (<see cref="CircuitMode.Consecutive"/>).</summary>
    public int FailureThreshold { get; }

    /// <summary>Gets the share of failed calls in the window that opens the circuit (<see cref="CircuitMode.Ratio"/>).</summary>
    public double FailureRatio { get; }

    /// <summary>Gets the calls the window must hold before the ratio can open the circuit (<see cref="CircuitMode.Ratio"/>).</summary>
    public int MinimumThroughput { get; }

    /// <summary>Gets the sampling window's length: a bucket counts while less than this has passed since it started.</summary>
    public long SamplingMs { get; }

    /// <summary>Gets a bucket's length: an outcome this long (or more) after the current bucket started starts a new one.</summary>
    public long BucketMs { get; }

    /// <summary>
    /// Gets the break of an opening when the caller has no other (the options' reset timeout), and of a row opened by
    /// the contract API (open until its last failure plus this).
    /// </summary>
    public long BreakMs { get; }

    /// <summary>Gets the trial successes, counted across every caller, that close a half-open circuit.</summary>
    public int SuccessThreshold { get; }

    /// <summary>Gets the trial leases a half-open circuit grants at once, across every caller.</summary>
    public int HalfOpenMaxTrials { get; }

    /// <summary>Gets how long a trial lease lives when its call never ends; after it, its permit is free again.</summary>
    public long TrialLeaseTtlMs { get; }

    /// <summary>A policy that opens after <paramref name="failureThreshold"/> consecutive failures.</summary>
    /// <param name="failureThreshold">The consecutive failures that open the circuit.</param>
    /// <param name="breakDuration">The default break.</param>
    /// <param name="successThreshold">The trial successes that close it.</param>
    /// <param name="halfOpenMaxTrials">The trials at once.</param>
    /// <param name="trialLeaseTtl">A trial lease's life; <see langword="null"/> for 30 seconds.</param>
    /// <returns>The policy.</returns>
    public static CircuitPolicy Consecutive(
        int failureThreshold,
        TimeSpan breakDuration,
        int successThreshold = 1,
        int halfOpenMaxTrials = 1,
        TimeSpan? trialLeaseTtl = null) =>
        new(CircuitMode.Consecutive, failureThreshold, 0, TimeSpan.FromSeconds(30), 1, breakDuration, successThreshold, halfOpenMaxTrials, trialLeaseTtl ?? TimeSpan.FromSeconds(30));

    /// <summary>A policy with Polly v8's failure-ratio model.</summary>
    /// <param name="failureRatio">The share of failures that opens the circuit (0 to 1).</param>
    /// <param name="samplingDuration">The window.</param>
    /// <param name="minimumThroughput">The calls the window must hold.</param>
    /// <param name="breakDuration">The default break.</param>
    /// <param name="successThreshold">The trial successes that close it.</param>
    /// <param name="halfOpenMaxTrials">The trials at once.</param>
    /// <param name="trialLeaseTtl">A trial lease's life; <see langword="null"/> for 30 seconds.</param>
    /// <returns>The policy.</returns>
    public static CircuitPolicy Ratio(
        double failureRatio,
        TimeSpan samplingDuration,
        int minimumThroughput,
        TimeSpan breakDuration,
        int successThreshold = 1,
        int halfOpenMaxTrials = 1,
        TimeSpan? trialLeaseTtl = null) =>
        new(CircuitMode.Ratio, 1, failureRatio, samplingDuration, minimumThroughput, breakDuration, successThreshold, halfOpenMaxTrials, trialLeaseTtl ?? TimeSpan.FromSeconds(30));

    /// <summary>
    /// The policy of <paramref name="options"/>: the ratio mode when <see cref="CircuitBreakerOptions.FailureRatio"/>
    /// is above 0, the consecutive mode otherwise; the break is <see cref="CircuitBreakerOptions.ResetTimeout"/>.
    /// </summary>
    /// <param name="options">Validated options.</param>
    /// <returns>The policy.</returns>
    public static CircuitPolicy From(CircuitBreakerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(
            options.FailureRatio > 0 ? CircuitMode.Ratio : CircuitMode.Consecutive,
            options.FailureThreshold,
            options.FailureRatio,
            options.SamplingDuration,
            options.MinimumThroughput,
            options.ResetTimeout,
            options.SuccessThreshold,
            options.HalfOpenMaxTrials,
            options.TrialPermitTtl);
    }

    /// <summary>
    /// A span in whole milliseconds, rounded up (so "at least the span has passed" reads the same on a millisecond
    /// clock); 0 for a negative span, <see cref="long.MaxValue"/> for <see cref="TimeSpan.MaxValue"/> and
    /// <see cref="Timeout.InfiniteTimeSpan"/>. The breaker converts a generated break with it.
    /// </summary>
    /// <param name="span">The span.</param>
    /// <returns>The milliseconds.</returns>
    public static long ToMs(TimeSpan span)
    {
        if (span == Timeout.InfiniteTimeSpan || span == TimeSpan.MaxValue)
        {
            return long.MaxValue;
        }

        if (span <= TimeSpan.Zero)
        {
            return 0;
        }

        var ticks = span.Ticks;
        return (ticks / TimeSpan.TicksPerMillisecond) + (ticks % TimeSpan.TicksPerMillisecond == 0 ? 0 : 1);
    }

    private static void RequireMs(TimeSpan span, string name)
    {
        if (span <= TimeSpan.Zero || span == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, span, "The duration must be finite and positive.");
        }
    }
}
