using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Polly;

namespace NativeAotPersistence;

/// <summary>Adds a circuit breaker whose state lives in an <see cref="ICircuitBreakerStateProvider"/> to a Polly pipeline.</summary>
/// <remarks>
/// Polly's own breaker keeps its state in the memory of one process. This one keeps the state, the failure count and
/// the failure and success times in the store, so every process sharing the SQLite file, or the PostgreSQL server,
/// sees one breaker: failures anywhere count toward opening it, and once open it rejects calls everywhere. Each built
/// pipeline counts its own half-open trials.
/// </remarks>
public static class PersistentCircuitBreakerResiliencePipelineBuilderExtensions
{
    /// <summary>Adds a persistent circuit breaker over the state stored under <paramref name="key"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="provider">Where the state lives (for example <see cref="IPersistenceAdapter.CircuitBreakers"/>).</param>
    /// <param name="key">The breaker's key: pipelines in any process that use the same store and key share one breaker.</param>
    /// <param name="options">The options.</param>
    /// <returns>The builder.</returns>
    /// <remarks>A rejected call fails with <see cref="PersistentBrokenCircuitException"/>.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a valid key.</exception>
    /// <exception cref="ValidationException"><paramref name="options"/> are invalid.</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The options' members are kept by DynamicDependency.")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, typeof(PersistentCircuitBreakerOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, typeof(PersistentCircuitBreakerOptions<object>))]
    public static ResiliencePipelineBuilder AddPersistentCircuitBreaker(
        this ResiliencePipelineBuilder builder,
        ICircuitBreakerStateProvider provider,
        string key,
        PersistentCircuitBreakerOptions options)
    {
        Check(builder, provider, key, options);
        return builder.AddStrategy(context => Create(context, provider, key, options), options);
    }

    /// <summary>Adds a persistent circuit breaker, over the state stored under <paramref name="key"/>, to a pipeline of <typeparamref name="TResult"/>.</summary>
    /// <typeparam name="TResult">The type of result the breaker handles.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="provider">Where the state lives (for example <see cref="IPersistenceAdapter.CircuitBreakers"/>).</param>
    /// <param name="key">The breaker's key: pipelines in any process that use the same store and key share one breaker.</param>
    /// <param name="options">The options, whose <see cref="PersistentCircuitBreakerOptions{TResult}.ShouldHandle"/> may handle results.</param>
    /// <returns>The builder.</returns>
    /// <remarks>A rejected call fails with <see cref="PersistentBrokenCircuitException"/>.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a valid key.</exception>
    /// <exception cref="ValidationException"><paramref name="options"/> are invalid.</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The options' members are kept by the annotation on TResult, as in Polly's own AddCircuitBreaker.")]
    public static ResiliencePipelineBuilder<TResult> AddPersistentCircuitBreaker<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TResult>(
        this ResiliencePipelineBuilder<TResult> builder,
        ICircuitBreakerStateProvider provider,
        string key,
        PersistentCircuitBreakerOptions<TResult> options)
    {
        Check(builder, provider, key, options);
        return builder.AddStrategy(context => Create(context, provider, key, options), options);
    }

    private static void Check(object builder, ICircuitBreakerStateProvider provider, string key, object options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        Keys.Validate(key);
    }

    private static PersistentCircuitBreakerResilienceStrategy<TResult> Create<TResult>(
        StrategyBuilderContext context,
        ICircuitBreakerStateProvider provider,
        string key,
        PersistentCircuitBreakerOptions<TResult> options)
    {
        // The core breaker holds the state rules; transitions come back through its seam and are raised here, so the
        // core options carry no callback.
        var breaker = new CircuitBreaker(provider, key, new CircuitBreakerOptions
        {
            FailureThreshold = options.FailureThreshold,
            ResetTimeout = options.ResetTimeout,
            FailureRatio = options.FailureRatio,
            SamplingDuration = options.SamplingDuration,
            MinimumThroughput = options.MinimumThroughput,
            BreakDurationGenerator = options.BreakDurationGenerator,
            SuccessThreshold = options.SuccessThreshold,
            HalfOpenMaxTrials = options.HalfOpenMaxTrials,
            TrialPermitTtl = options.TrialPermitTtl,
            TimeProvider = context.TimeProvider,
        });
        return new PersistentCircuitBreakerResilienceStrategy<TResult>(
            breaker, options.ShouldHandle, options.OnStateChanged, context.Telemetry, context.TimeProvider);
    }
}
