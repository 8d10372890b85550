using Polly;
using Polly.CircuitBreaker;
using Polly.Telemetry;

namespace NativeAotPersistence;

/// <summary>The Polly strategy over a core <see cref="CircuitBreaker"/>: admission, outcome and transitions through its seam.</summary>
internal sealed class PersistentCircuitBreakerResilienceStrategy<T> : ResilienceStrategy<T>
{
    // Polly's own event names, so dashboards built for its breaker read this one too.
    private const string OpenedEvent = "OnCircuitOpened";
    private const string HalfOpenedEvent = "OnCircuitHalfOpened";
    private const string ClosedEvent = "OnCircuitClosed";

    private readonly CircuitBreaker _breaker;
    private readonly Func<CircuitBreakerPredicateArguments<T>, ValueTask<bool>> _shouldHandle;
    private readonly Func<OnPersistentCircuitStateChangedArguments, ValueTask>? _onStateChanged;
    private readonly ResilienceStrategyTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;

    public PersistentCircuitBreakerResilienceStrategy(
        CircuitBreaker breaker,
        Func<CircuitBreakerPredicateArguments<T>, ValueTask<bool>> shouldHandle,
        Func<OnPersistentCircuitStateChangedArguments, ValueTask>? onStateChanged,
        ResilienceStrategyTelemetry telemetry,
        TimeProvider timeProvider)
    {
        _breaker = breaker;
        _shouldHandle = shouldHandle;
        _onStateChanged = onStateChanged;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
    }

    protected override async ValueTask<Outcome<T>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<T>>> callback,
        ResilienceContext context,
        TState state)
    {
        var captured = context.ContinueOnCapturedContext;
        CircuitAdmission admission;
        try
        {
            admission = await CircuitBreakerSteps.AdmitAsync(_breaker, context.CancellationToken).ConfigureAwait(captured);
        }
#pragma warning disable CA1031 // A store that cannot be read is this execution's outcome, for outer strategies to handle.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Outcome.FromException<T>(e);
        }

        if (admission.Transition is { } halfOpened)
        {
            try
            {
                await RaiseAsync(halfOpened, context).ConfigureAwait(captured);
            }
            catch
            {
                await CircuitBreakerSteps.AbandonAsync(_breaker, admission).ConfigureAwait(captured);
                throw;
            }
        }

        if (!admission.Admitted)
        {
            return Outcome.FromException<T>(Rejection(admission));
        }

        Outcome<T> outcome;
        try
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            outcome = await callback(context, state).ConfigureAwait(captured);
        }
#pragma warning disable CA1031 // Polly strategies turn exceptions into outcomes.
        catch (Exception e)
#pragma warning restore CA1031
        {
            outcome = Outcome.FromException<T>(e);
        }

        // The caller giving up says nothing about the protected service.
        if (outcome.Exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            await CircuitBreakerSteps.AbandonAsync(_breaker, admission).ConfigureAwait(captured);
            return outcome;
        }

        bool handled;
        try
        {
            handled = await _shouldHandle(new CircuitBreakerPredicateArguments<T>(context, outcome)).ConfigureAwait(captured);
        }
        catch
        {
            await CircuitBreakerSteps.AbandonAsync(_breaker, admission).ConfigureAwait(captured);
            throw;
        }

        // As Polly's breaker does, an outcome ShouldHandle does not handle (an exception included) counts as a success.
        CircuitBreakerTransition? transition;
        try
        {
            transition = handled
                ? await CircuitBreakerSteps.FailAsync(_breaker, admission).ConfigureAwait(captured)
                : await CircuitBreakerSteps.SucceedAsync(_breaker, admission).ConfigureAwait(captured);
        }
        catch (PersistenceException)
        {
            // As the core helper does: only recording the outcome failed (a busy store, a failover); the outcome is the
            // caller's (a retry of a call that did its work would do it twice; a failure stays the call's own exception).
            transition = null;
        }

        if (transition is not null)
        {
            await RaiseAsync(transition, context).ConfigureAwait(captured);
        }

        return outcome;
    }

    private PersistentBrokenCircuitException Rejection(CircuitAdmission admission)
    {
        var exception = admission.IsIsolated
            ? PersistentBrokenCircuitException.ForIsolated(_breaker.Key)
            : new PersistentBrokenCircuitException(_breaker.Key, admission.RetryAt, admission.RetryAfter(_timeProvider.GetUtcNow()));
        _telemetry.SetTelemetrySource(exception);
        return exception;
    }

    private ValueTask RaiseAsync(CircuitBreakerTransition transition, ResilienceContext context)
    {
        var args = new OnPersistentCircuitStateChangedArguments(context, transition);
        var resilienceEvent = transition.To switch
        {
            CircuitState.Open => new ResilienceEvent(ResilienceEventSeverity.Error, OpenedEvent),
            CircuitState.HalfOpen => new ResilienceEvent(ResilienceEventSeverity.Warning, HalfOpenedEvent),
            _ => new ResilienceEvent(ResilienceEventSeverity.Information, ClosedEvent),
        };
        _telemetry.Report(resilienceEvent, context, args);
        return _onStateChanged?.Invoke(args) ?? ValueTask.CompletedTask;
    }
}
