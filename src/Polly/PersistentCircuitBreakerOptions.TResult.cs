using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Polly;
using Polly.CircuitBreaker;

namespace NativeAotPersistence;

/// <summary>
/// How a persistent circuit breaker (added by
/// <see cref="PersistentCircuitBreakerResiliencePipelineBuilderExtensions.AddPersistentCircuitBreaker{TResult}"/>) decides
/// to open, wait and close. The rules are those of <see cref="CircuitBreaker"/>: open after
/// <see cref="FailureThreshold"/> consecutive failures, counted by every process sharing the store; half-open once
/// <see cref="ResetTimeout"/> has passed since the last failure; closed again after <see cref="SuccessThreshold"/>
/// successful trials, reopened by any failed one.
/// </summary>
/// <typeparam name="TResult">The type of result the breaker handles.</typeparam>
/// <remarks>
/// The clock is the pipeline's (<see cref="ResiliencePipelineBuilderBase.TimeProvider"/>). Invalid values make the
/// <c>AddPersistentCircuitBreaker</c> call throw <see cref="ValidationException"/>, as Polly's own options do.
/// </remarks>
public class PersistentCircuitBreakerOptions<TResult> : ResilienceStrategyOptions
{
    /// <summary>Initializes a new instance with the defaults and the name <c>PersistentCircuitBreaker</c>.</summary>
    public PersistentCircuitBreakerOptions() => Name = "PersistentCircuitBreaker";

    /// <summary>Gets or sets the number of consecutive failures that opens the breaker. The default is 5.</summary>
    [Range(1, int.MaxValue)]
    public int FailureThreshold { get; set; } = 5;

    /// <summary>Gets or sets how long the breaker stays open after the last failure before it admits trial calls. The default is 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "10675199.02:48:05.4775807")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "TimeSpan's converter is built in; the options' members are kept by DynamicDependency on the Add methods.")]
    public TimeSpan ResetTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the failure ratio that opens the breaker (Polly's failure-ratio model, with the window's counts in the
    /// store): above 0 and at most 1; 0, the default, counts consecutive failures (<see cref="FailureThreshold"/>).
    /// </summary>
    [Range(0.0, 1.0)]
    public double FailureRatio { get; set; }

    /// <summary>Gets or sets the failure-ratio window. The default is 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "TimeSpan's converter is built in; the options' members are kept by DynamicDependency on the Add methods.")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the calls the window must hold before the failure ratio can open the breaker. The default is 100.</summary>
    [Range(1, int.MaxValue)]
    public int MinimumThroughput { get; set; } = 100;

    /// <summary>
    /// Gets or sets how long each opening lasts, from the re-open count every process shares (see
    /// <see cref="CircuitBreakerOptions.BreakDurationGenerator"/>); <see langword="null"/> waits <see cref="ResetTimeout"/>.
    /// </summary>
    public Func<CircuitBreakDurationArguments, ValueTask<TimeSpan>>? BreakDurationGenerator { get; set; }

    /// <summary>
    /// Gets or sets the number of successful trial calls that closes a half-open breaker, counted across every process on
    /// the store. The default is 1.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int SuccessThreshold { get; set; } = 1;

    /// <summary>
    /// Gets or sets the number of trial calls in flight at once while the breaker is half-open, across every process on
    /// the store (each holds a permit from the store until it ends); at most 1,000. The default is 1.
    /// </summary>
    [Range(1, 1000)]
    public int HalfOpenMaxTrials { get; set; } = 1;

    /// <summary>Gets or sets how long a trial's permit lives if its call never ends. The default is 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "30.00:00:00")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "TimeSpan's converter is built in; the options' members are kept by DynamicDependency on the Add methods.")]
    public TimeSpan TrialPermitTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets which outcomes count as failures. The default handles every exception except
    /// <see cref="OperationCanceledException"/>, and no result. A <see cref="PredicateBuilder{TResult}"/> converts to it.
    /// </summary>
    /// <remarks>
    /// A handled outcome is a failure; any other outcome, an unhandled exception included, is a success (as in Polly's
    /// breaker). A cancellation of the execution's own token is never a failure, whatever this returns.
    /// </remarks>
    [Required]
    public Func<CircuitBreakerPredicateArguments<TResult>, ValueTask<bool>> ShouldHandle { get; set; } = DefaultShouldHandle;

    /// <summary>
    /// Gets or sets a callback invoked on every transition this process causes or observes (also reported to Polly's
    /// telemetry as <c>OnCircuitOpened</c>, <c>OnCircuitHalfOpened</c> and <c>OnCircuitClosed</c>).
    /// </summary>
    public Func<OnPersistentCircuitStateChangedArguments, ValueTask>? OnStateChanged { get; set; }

    private static ValueTask<bool> DefaultShouldHandle(CircuitBreakerPredicateArguments<TResult> args) =>
        new(args.Outcome.Exception is not null and not OperationCanceledException);
}
