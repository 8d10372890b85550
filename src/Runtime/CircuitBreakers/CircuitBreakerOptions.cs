namespace NativeAotPersistence;

/// <summary>How a <see cref="CircuitBreaker"/> decides to open, wait and close.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>
    /// Gets the number of consecutive failures that opens the breaker, when <see cref="FailureRatio"/> is 0 (the
    /// consecutive mode, the default). The default is 5.
    /// </summary>
    public int FailureThreshold { get; init; } = 5;

    /// <summary>
    /// Gets the failure ratio that opens the breaker (Polly's failure-ratio model): above 0 and at most 1, the breaker
    /// opens when, within <see cref="SamplingDuration"/>, at least <see cref="MinimumThroughput"/> calls ended and this
    /// share of them failed; the window's counts are in the store, so every process records into one window. The
    /// default, 0, counts consecutive failures instead (<see cref="FailureThreshold"/>).
    /// </summary>
    public double FailureRatio { get; init; }

    /// <summary>Gets the failure-ratio window (Polly's <c>SamplingDuration</c>). The default is 30 seconds.</summary>
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the calls the window must hold before the failure ratio can open the breaker. The default is 100.</summary>
    public int MinimumThroughput { get; init; } = 100;

    /// <summary>
    /// Gets how long the breaker stays open before it admits trial calls (Polly's <c>BreakDuration</c>), unless
    /// <see cref="BreakDurationGenerator"/> says otherwise. The default is 30 seconds.
    /// </summary>
    public TimeSpan ResetTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets how long each opening lasts, from the count of consecutive re-openings shared by every process (0 for the
    /// first opening after the breaker was closed): for example doubling per re-opening, capped. Called only for the
    /// failure that opens the breaker, in the process that recorded it, with the counts of that opening, between two
    /// steps of recording it (never inside the store's transaction); the duration it returns is stored, so every
    /// process waits the same break. A generator that throws gets <see cref="ResetTimeout"/>. <see langword="null"/>
    /// (the default) always waits <see cref="ResetTimeout"/>.
    /// </summary>
    public Func<CircuitBreakDurationArguments, ValueTask<TimeSpan>>? BreakDurationGenerator { get; init; }

    /// <summary>
    /// Gets the number of successful trial calls that closes a half-open breaker, counted across every process on the
    /// store (per process for a state provider that is not one of this library's). The default is 1.
    /// </summary>
    public int SuccessThreshold { get; init; } = 1;

    /// <summary>
    /// Gets the number of trial calls in flight at once while the breaker is half-open, across every process on the
    /// store (per process for a state provider that is not one of this library's): each trial holds a permit from the
    /// store until it ends; at most 1,000. The default is 1.
    /// </summary>
    public int HalfOpenMaxTrials { get; init; } = 1;

    /// <summary>
    /// Gets how long a trial's permit lives if its call never ends (its process died or hung): after it, the permit is
    /// free for another trial. Set it above the protected call's own timeout. The default is 30 seconds.
    /// </summary>
    public TimeSpan TrialPermitTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets which exceptions count as failures; <see langword="null"/> counts every exception except a cancellation of
    /// the caller's own token (which never counts).
    /// </summary>
    public Func<Exception, bool>? ShouldHandle { get; init; }

    /// <summary>
    /// Gets the breaker's clock. Over this library's providers the store's clock (the adapter's
    /// <see cref="PersistenceAdapterOptions.TimeProvider"/>) decides every time of the shared state, and this one only
    /// turns a rejection's <see cref="CircuitBreakerOpenException.RetryAt"/> into its <c>RetryAfter</c>; over another
    /// provider it decides when the reset timeout has passed. The default, <see langword="null"/>, is the provider's
    /// clock (<see cref="TimeProvider.System"/> for a provider that names none).
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Gets a callback invoked on every transition this process causes or observes.</summary>
    public Action<CircuitBreakerTransition>? OnStateChanged { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureThreshold, 1, nameof(FailureThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(SuccessThreshold, 1, nameof(SuccessThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(HalfOpenMaxTrials, 1, nameof(HalfOpenMaxTrials));

        // Each trial in flight is a lease in the shared state: a bound keeps that state small and readable.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HalfOpenMaxTrials, 1_000, nameof(HalfOpenMaxTrials));
        if (ResetTimeout <= TimeSpan.Zero || ResetTimeout == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ResetTimeout), ResetTimeout, "ResetTimeout must be finite and positive.");
        }

        if (!(FailureRatio >= 0 && FailureRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(FailureRatio), FailureRatio, "FailureRatio must be 0 (consecutive failures) or above 0 and at most 1.");
        }

        if (SamplingDuration < TimeSpan.FromMilliseconds(1) || SamplingDuration > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(SamplingDuration), SamplingDuration, "SamplingDuration must be 1 ms to 1 day: the store counts time in milliseconds.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumThroughput, 1, nameof(MinimumThroughput));
        if (TrialPermitTtl < TimeSpan.FromMilliseconds(1) || TrialPermitTtl > TimeSpan.FromDays(30))
        {
            throw new ArgumentOutOfRangeException(nameof(TrialPermitTtl), TrialPermitTtl, "TrialPermitTtl must be 1 ms to 30 days.");
        }
    }
}
