namespace NativeAotPersistence;

/// <summary>
/// A circuit breaker whose state lives in an <see cref="ICircuitBreakerStateProvider"/>, so every process sharing the
/// store sees one breaker: closed until <see cref="CircuitBreakerOptions.FailureThreshold"/> consecutive failures,
/// then open (calls are rejected with <see cref="CircuitBreakerOpenException"/>) until
/// <see cref="CircuitBreakerOptions.ResetTimeout"/> has passed since the last failure, then half-open: a limited number
/// of trial calls decide whether it closes again or reopens.
/// </summary>
/// <remarks>
/// Shared through the provider: the state, the failure count and the failure and success times. Counted per process:
/// the half-open trials in flight (<see cref="CircuitBreakerOptions.HalfOpenMaxTrials"/>) and the trial successes
/// toward <see cref="CircuitBreakerOptions.SuccessThreshold"/>. A cancellation of the caller's token is not a failure.
/// </remarks>
public sealed class CircuitBreaker
{
    private readonly ICircuitBreakerStateProvider _provider;
    private readonly CircuitBreakerOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private int _trialsInFlight;
    private int _trialSuccesses;

    /// <summary>Creates a breaker over the state stored under <paramref name="key"/>.</summary>
    /// <param name="provider">Where the state lives (for example <see cref="IPersistenceAdapter.CircuitBreakers"/>).</param>
    /// <param name="key">The breaker's key.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    public CircuitBreaker(ICircuitBreakerStateProvider provider, string key, CircuitBreakerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Keys.Validate(key);
        _provider = provider;
        Key = key;
        _options = options ?? new CircuitBreakerOptions();
        _options.Validate();
        _time = _options.TimeProvider ?? provider.TimeProvider ?? TimeProvider.System;
    }

    /// <summary>Raised on every transition this process causes or observes.</summary>
    public event EventHandler<CircuitBreakerTransition>? StateChanged;

    /// <summary>Gets the breaker's key.</summary>
    public string Key { get; }

    /// <summary>Gets the state callers see now: an open breaker whose reset timeout has passed reads as half-open.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    public async ValueTask<CircuitState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var stored = await _provider.GetStateAsync(Key, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return CircuitState.Closed;
        }

        return stored.State == CircuitState.Open && ResetTimeoutPassed(stored) ? CircuitState.HalfOpen : stored.State;
    }

    /// <summary>Runs <paramref name="action"/> through the breaker.</summary>
    /// <param name="action">The protected call.</param>
    /// <param name="cancellationToken">Passed to <paramref name="action"/>.</param>
    /// <exception cref="CircuitBreakerOpenException">The breaker is open, or half-open with every trial slot taken.</exception>
    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        await ExecuteAsync(
            async ct =>
            {
                await action(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> through the breaker and returns its result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="action">The protected call.</param>
    /// <param name="cancellationToken">Passed to <paramref name="action"/>.</param>
    /// <exception cref="CircuitBreakerOpenException">The breaker is open, or half-open with every trial slot taken.</exception>
    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        var admission = await AdmitAsync(cancellationToken).ConfigureAwait(false);
        Raise(admission.Transition);
        if (!admission.Admitted)
        {
            throw new CircuitBreakerOpenException(Key, admission.RetryAt, admission.RetryAfter(_time.GetUtcNow()));
        }

        T result;
        try
        {
            result = await action(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(admission);
            throw;
        }
        catch (Exception e) when (_options.ShouldHandle?.Invoke(e) ?? true)
        {
            Raise(await FailAsync(admission).ConfigureAwait(false));
            throw;
        }
        catch
        {
            Abandon(admission);
            throw;
        }

        Raise(await SucceedAsync(admission).ConfigureAwait(false));
        return result;
    }

    /// <summary>
    /// The first half of a protected call: reads the shared state and decides whether the call may run. Moves an open
    /// breaker whose reset timeout has passed to half-open (reported in <see cref="CircuitAdmission.Transition"/>, not
    /// raised). An admitted call must end in exactly one of <see cref="SucceedAsync"/>, <see cref="FailAsync"/> or
    /// <see cref="Abandon"/>; a rejected one in none.
    /// </summary>
    /// <remarks>
    /// Public to other assemblies as <see cref="CircuitBreakerSteps"/> (the Polly strategy uses it): they raise the
    /// transitions themselves.
    /// </remarks>
    internal async ValueTask<CircuitAdmission> AdmitAsync(CancellationToken cancellationToken)
    {
        var stored = await _provider.GetStateAsync(Key, cancellationToken).ConfigureAwait(false);
        var state = stored?.State ?? CircuitState.Closed;
        if (state == CircuitState.Closed)
        {
            return new CircuitAdmission(stored, admitted: true, trial: false, default, transition: null);
        }

        CircuitBreakerTransition? transition = null;
        if (state == CircuitState.Open)
        {
            if (!ResetTimeoutPassed(stored!))
            {
                return new CircuitAdmission(stored, admitted: false, trial: false, RetryAfter(stored!), transition: null);
            }

            // The reset timeout passed: every process may now move it to half-open; the count and times are kept.
            await _provider.SetStateAsync(Key, stored! with { State = CircuitState.HalfOpen }, cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                _trialSuccesses = 0;
            }

            transition = Transition(CircuitState.Open, CircuitState.HalfOpen);
        }

        lock (_sync)
        {
            if (_trialsInFlight >= _options.HalfOpenMaxTrials)
            {
                return new CircuitAdmission(stored, admitted: false, trial: false, _time.GetUtcNow(), transition);
            }

            _trialsInFlight++;
        }

        return new CircuitAdmission(stored, admitted: true, trial: true, default, transition);
    }

    /// <summary>Ends an admitted call that succeeded; returns the transition it caused, if any.</summary>
    internal async ValueTask<CircuitBreakerTransition?> SucceedAsync(CircuitAdmission admission)
    {
        if (!admission.Trial)
        {
            // Failures count consecutively: a success after some failures resets the shared count.
            if (admission.Stored is { FailureCount: > 0 })
            {
                await _provider.RecordSuccessAsync(Key, CancellationToken.None).ConfigureAwait(false);
            }

            return null;
        }

        bool close;
        lock (_sync)
        {
            _trialsInFlight--;
            close = ++_trialSuccesses >= _options.SuccessThreshold;
            if (close)
            {
                _trialSuccesses = 0;
            }
        }

        if (!close)
        {
            return null;
        }

        await _provider.RecordSuccessAsync(Key, CancellationToken.None).ConfigureAwait(false);
        return Transition(CircuitState.HalfOpen, CircuitState.Closed);
    }

    /// <summary>Ends an admitted call that failed; returns the transition it caused, if any.</summary>
    internal async ValueTask<CircuitBreakerTransition?> FailAsync(CircuitAdmission admission)
    {
        if (admission.Trial)
        {
            Abandon(admission);

            // Any trial failure reopens it, with a fresh last failure time so the reset timer restarts everywhere.
            await _provider.RecordFailureAsync(Key, 1, CancellationToken.None).ConfigureAwait(false);
            return Transition(CircuitState.HalfOpen, CircuitState.Open);
        }

        var count = await _provider.RecordFailureAsync(Key, _options.FailureThreshold, CancellationToken.None).ConfigureAwait(false);
        return count >= _options.FailureThreshold && (admission.Stored?.State ?? CircuitState.Closed) == CircuitState.Closed
            ? Transition(CircuitState.Closed, CircuitState.Open)
            : null;
    }

    /// <summary>Ends an admitted call that neither succeeded nor failed (cancelled, or an exception not handled): frees its trial slot.</summary>
    internal void Abandon(CircuitAdmission admission)
    {
        if (!admission.Trial)
        {
            return;
        }

        lock (_sync)
        {
            _trialsInFlight--;
        }
    }

    private bool ResetTimeoutPassed(CircuitBreakerPersistedState stored) =>
        _time.GetUtcNow() >= RetryAfter(stored);

    // An open state stored without a failure time (by SetStateAsync) may be tried at once.
    private DateTimeOffset RetryAfter(CircuitBreakerPersistedState stored) =>
        stored.LastFailureTime is { } last && last < DateTimeOffset.MaxValue - _options.ResetTimeout
            ? last + _options.ResetTimeout
            : stored.LastFailureTime is null ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;

    private CircuitBreakerTransition Transition(CircuitState from, CircuitState to)
    {
        PersistenceTelemetry.CircuitTransition(CircuitStates.ToText(from), CircuitStates.ToText(to));

        var transition = new CircuitBreakerTransition(Key, from, to, _time.GetUtcNow());
        if (PersistenceEvents.IsEnabled)
        {
            PersistenceEvents.CircuitTransition(transition);
        }

        return transition;
    }

    private void Raise(CircuitBreakerTransition? transition)
    {
        if (transition is null)
        {
            return;
        }

        _options.OnStateChanged?.Invoke(transition);
        StateChanged?.Invoke(this, transition);
    }
}
