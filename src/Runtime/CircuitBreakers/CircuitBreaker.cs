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
        var stored = await _provider.GetStateAsync(Key, cancellationToken).ConfigureAwait(false);
        var trial = await AdmitAsync(stored, cancellationToken).ConfigureAwait(false);
        T result;
        try
        {
            result = await action(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            EndTrial(trial);
            throw;
        }
        catch (Exception e) when (_options.ShouldHandle?.Invoke(e) ?? true)
        {
            await OnFailureAsync(stored, trial).ConfigureAwait(false);
            throw;
        }
        catch
        {
            EndTrial(trial);
            throw;
        }

        await OnSuccessAsync(stored, trial).ConfigureAwait(false);
        return result;
    }

    private async ValueTask<bool> AdmitAsync(CircuitBreakerPersistedState? stored, CancellationToken cancellationToken)
    {
        var state = stored?.State ?? CircuitState.Closed;
        if (state == CircuitState.Closed)
        {
            return false;
        }

        if (state == CircuitState.Open)
        {
            if (!ResetTimeoutPassed(stored!))
            {
                throw new CircuitBreakerOpenException(Key, RetryAfter(stored!));
            }

            // The reset timeout passed: every process may now move it to half-open; the count and times are kept.
            await _provider.SetStateAsync(Key, stored! with { State = CircuitState.HalfOpen }, cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                _trialSuccesses = 0;
            }

            Raise(CircuitState.Open, CircuitState.HalfOpen);
        }

        lock (_sync)
        {
            if (_trialsInFlight >= _options.HalfOpenMaxTrials)
            {
                throw new CircuitBreakerOpenException(Key, _options.TimeProvider.GetUtcNow());
            }

            _trialsInFlight++;
        }

        return true;
    }

    private async ValueTask OnSuccessAsync(CircuitBreakerPersistedState? stored, bool trial)
    {
        if (!trial)
        {
            // Failures count consecutively: a success after some failures resets the shared count.
            if (stored is { FailureCount: > 0 })
            {
                await _provider.RecordSuccessAsync(Key, CancellationToken.None).ConfigureAwait(false);
            }

            return;
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

        if (close)
        {
            await _provider.RecordSuccessAsync(Key, CancellationToken.None).ConfigureAwait(false);
            Raise(CircuitState.HalfOpen, CircuitState.Closed);
        }
    }

    private async ValueTask OnFailureAsync(CircuitBreakerPersistedState? stored, bool trial)
    {
        if (trial)
        {
            EndTrial(trial);

            // Any trial failure reopens it, with a fresh last failure time so the reset timer restarts everywhere.
            await _provider.RecordFailureAsync(Key, 1, CancellationToken.None).ConfigureAwait(false);
            Raise(CircuitState.HalfOpen, CircuitState.Open);
            return;
        }

        var count = await _provider.RecordFailureAsync(Key, _options.FailureThreshold, CancellationToken.None).ConfigureAwait(false);
        if (count >= _options.FailureThreshold && (stored?.State ?? CircuitState.Closed) == CircuitState.Closed)
        {
            Raise(CircuitState.Closed, CircuitState.Open);
        }
    }

    private void EndTrial(bool trial)
    {
        if (!trial)
        {
            return;
        }

        lock (_sync)
        {
            _trialsInFlight--;
        }
    }

    private bool ResetTimeoutPassed(CircuitBreakerPersistedState stored) =>
        _options.TimeProvider.GetUtcNow() >= RetryAfter(stored);

    // An open state stored without a failure time (by SetStateAsync) may be tried at once.
    private DateTimeOffset RetryAfter(CircuitBreakerPersistedState stored) =>
        stored.LastFailureTime is { } last && last < DateTimeOffset.MaxValue - _options.ResetTimeout
            ? last + _options.ResetTimeout
            : stored.LastFailureTime is null ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;

    private void Raise(CircuitState from, CircuitState to)
    {
        var transition = new CircuitBreakerTransition(Key, from, to, _options.TimeProvider.GetUtcNow());
        _options.OnStateChanged?.Invoke(transition);
        StateChanged?.Invoke(this, transition);
    }
}
