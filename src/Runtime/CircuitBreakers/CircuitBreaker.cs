namespace NativeAotPersistence;

/// <summary>
/// A circuit breaker whose state lives in an <see cref="ICircuitBreakerStateProvider"/>, so every process sharing the
/// store sees one breaker: closed until <see cref="CircuitBreakerOptions.FailureThreshold"/> consecutive failures (or,
/// with <see cref="CircuitBreakerOptions.FailureRatio"/>, Polly's failure-ratio model over one shared window), then
/// open (calls are rejected with <see cref="CircuitBreakerOpenException"/>) for its break
/// (<see cref="CircuitBreakerOptions.ResetTimeout"/>, or what <see cref="CircuitBreakerOptions.BreakDurationGenerator"/>
/// says), then half-open: a limited number of trial calls decide whether it closes again or reopens. It can be isolated
/// and closed by hand (<see cref="IsolateAsync"/>, <see cref="CloseAsync"/>).
/// </summary>
/// <remarks>
/// Over this library's providers everything is shared through the store: the state, the counts and the window, the
/// times, the break, the half-open trials in flight (each holds a permit from the store, at most
/// <see cref="CircuitBreakerOptions.HalfOpenMaxTrials"/> across every process) and the trial successes toward
/// <see cref="CircuitBreakerOptions.SuccessThreshold"/>. Over another provider (one that is not an
/// <see cref="ICircuitStore"/>), the consecutive rules only: the trials and their successes are counted per process, and
/// the options that need the store's fleet state are refused. A cancellation of the caller's token is not a failure.
/// </remarks>
public sealed class CircuitBreaker
{
    private readonly ICircuitBreakerStateProvider _provider;
    private readonly CircuitBreakerOptions _options;
    private readonly TimeProvider _time;
    private readonly ICircuitStore? _store;
    private readonly CircuitPolicy? _policy;
    private readonly Lock _sync = new();
    private int _trialsInFlight;
    private int _trialSuccesses;

    // The per-process path: until when a circuit that stayed open when moved to half-open (isolated by hand) is not
    // tried again, so a rejected caller costs one read, not a write per call.
    private long _heldOpenUntilTicks;

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

        // The library's providers take the fleet path: every rule runs on the store, trials and successes are counted
        // across processes. Another provider (a decorator, a user's) keeps the per-process rules.
        if (provider is ICircuitStore store)
        {
            _store = store;
            _policy = CircuitPolicy.From(_options);
        }
        else if (_options.FailureRatio > 0 || _options.BreakDurationGenerator is not null || _options.TrialPermitTtl != TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException(
                $"FailureRatio, BreakDurationGenerator and TrialPermitTtl need the fleet state of this library's providers; {provider.GetType().Name} has none (it is not an ICircuitStore).",
                nameof(options));
        }
    }

    /// <summary>Raised on every transition this process causes or observes.</summary>
    public event EventHandler<CircuitBreakerTransition>? StateChanged;

    /// <summary>Gets the breaker's key.</summary>
    public string Key { get; }

    /// <summary>
    /// Gets the state callers see now: an open breaker whose break has ended reads as half-open; an isolated one reads
    /// open (<see cref="IsolateAsync"/>), over this library's providers (over another, which has no fleet state, by its
    /// reset timeout as any open one).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <remarks>
    /// A closed breaker costs one read. An open or half-open one over this library's providers is read again through the
    /// store's update (on SQLite a write transaction that stores nothing), to see its break, trials and isolation as a
    /// call would: poll it for a dashboard at human rates, not in a hot loop.
    /// </remarks>
    public async ValueTask<CircuitState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var stored = await _provider.GetStateAsync(Key, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.State == CircuitState.Closed)
        {
            return CircuitState.Closed;
        }

        if (_store is not null)
        {
            // The break and isolation are in the fleet state: read them through the store (a rule that stores nothing).
            var peek = new CircuitPeekRule(_policy!);
            await _store.UpdateAsync(Key, peek, cancellationToken).ConfigureAwait(false);
            return peek.Effective;
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
        try
        {
            Raise(admission.Transition);
        }
        catch when (admission.Admitted)
        {
            // A listener threw: the call does not run, and a trial's permit goes back to the fleet at once.
            await AbandonAsync(admission).ConfigureAwait(false);
            throw;
        }

        if (!admission.Admitted)
        {
            throw admission.IsIsolated
                ? CircuitBreakerOpenException.ForIsolated(Key)
                : new CircuitBreakerOpenException(Key, admission.RetryAt, admission.RetryAfter(_time.GetUtcNow()));
        }

        T result;
        try
        {
            result = await action(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await AbandonAsync(admission).ConfigureAwait(false);
            throw;
        }
        catch (Exception e) when (_options.ShouldHandle?.Invoke(e) ?? true)
        {
            CircuitBreakerTransition? opened;
            try
            {
                opened = await FailAsync(admission).ConfigureAwait(false);
            }
            catch (PersistenceException)
            {
                // Only recording the failure failed (a busy store, a failover): the caller gets its own exception, not the
                // store's. A trial's permit frees itself after its TTL.
                opened = null;
            }

            Raise(opened);
            throw;
        }
        catch
        {
            await AbandonAsync(admission).ConfigureAwait(false);
            throw;
        }

        CircuitBreakerTransition? closed;
        try
        {
            closed = await SucceedAsync(admission).ConfigureAwait(false);
        }
        catch (PersistenceException)
        {
            // The call succeeded; only recording it failed (a busy store, a failover). Its result is the caller's: a
            // retry of a call that did its work would do it twice. A trial's permit frees itself after its TTL.
            closed = null;
        }

        Raise(closed);
        return result;
    }

    /// <summary>
    /// The first half of a protected call: reads the shared state and decides whether the call may run. Moves an open
    /// breaker whose reset timeout has passed to half-open (reported in <see cref="CircuitAdmission.Transition"/>, not
    /// raised). An admitted call must end in exactly one of <see cref="SucceedAsync"/>, <see cref="FailAsync"/> or
    /// <see cref="AbandonAsync"/>; a rejected one in none.
    /// </summary>
    /// <remarks>
    /// Public to other assemblies as <see cref="CircuitBreakerSteps"/> (the Polly strategy uses it): they raise the
    /// transitions themselves.
    /// </remarks>
    internal async ValueTask<CircuitAdmission> AdmitAsync(CancellationToken cancellationToken)
    {
        var stored = await _provider.GetStateAsync(Key, cancellationToken).ConfigureAwait(false);
        var state = stored?.State ?? CircuitState.Closed;
        if (_store is not null)
        {
            // A closed breaker admits on a read (no write, and never a trial): only an open or half-open one runs the rule.
            if (state == CircuitState.Closed)
            {
                return new CircuitAdmission(true, null, default, null, isolated: false, reopenCount: 0, stored?.FailureCount ?? 0, 0);
            }

            var rule = new CircuitAdmitRule(_policy!);
            await _store.UpdateAsync(Key, rule, cancellationToken).ConfigureAwait(false);
            return Admission(rule);
        }

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

            var now = _time.GetUtcNow();
            var heldOpenUntil = new DateTimeOffset(Interlocked.Read(ref _heldOpenUntilTicks), TimeSpan.Zero);
            if (now < heldOpenUntil)
            {
                return new CircuitAdmission(stored, admitted: false, trial: false, heldOpenUntil, transition: null);
            }

            // The reset timeout passed: every process may now move it to half-open; the count and times are kept. A
            // circuit isolated by hand (by a breaker over this library's providers) stays open: read it back, and do
            // not try again for a reset timeout (this path cannot tell isolated from open).
            await _provider.SetStateAsync(Key, stored! with { State = CircuitState.HalfOpen }, cancellationToken).ConfigureAwait(false);
            if ((await _provider.GetStateAsync(Key, cancellationToken).ConfigureAwait(false))?.State == CircuitState.Open)
            {
                heldOpenUntil = now < DateTimeOffset.MaxValue - _options.ResetTimeout ? now + _options.ResetTimeout : DateTimeOffset.MaxValue;
                Interlocked.Exchange(ref _heldOpenUntilTicks, heldOpenUntil.UtcTicks);
                return new CircuitAdmission(stored, admitted: false, trial: false, heldOpenUntil, transition: null);
            }

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
        try
        {
            if (admission.Fleet)
            {
                // The consecutive mode records a success only where it resets something; the ratio mode counts every call. A
                // call admitted with no failure counted reads the row again first: failures of other calls since (or an
                // opening) are reset, or counted as a half-open success, as any success does; otherwise nothing is written.
                if (admission.TrialId is null && _policy!.Mode == CircuitMode.Consecutive && admission.FailureCount == 0)
                {
                    // Open: a late success changes nothing (the rule would store nothing either).
                    var now = await _provider.GetStateAsync(Key, CancellationToken.None).ConfigureAwait(false);
                    if (now is null || now.State == CircuitState.Open || (now.State == CircuitState.Closed && now.FailureCount == 0))
                    {
                        return null;
                    }
                }

                var rule = new CircuitSucceedRule(_policy!, admission.TrialId);
                await _store!.UpdateAsync(Key, rule, CancellationToken.None).ConfigureAwait(false);
                if (admission.TrialId is not null)
                {
                    PersistenceTelemetry.CircuitTrial("succeeded");
                }

                return Observed(rule);
            }

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

            // A circuit isolated by hand meanwhile stays as it is (RecordSuccess leaves it): report what the store holds.
            await _provider.RecordSuccessAsync(Key, CancellationToken.None).ConfigureAwait(false);
            return (await _provider.GetStateAsync(Key, CancellationToken.None).ConfigureAwait(false))?.State is null or CircuitState.Closed
                ? Transition(CircuitState.HalfOpen, CircuitState.Closed)
                : null;
        }
        catch (PersistenceException)
        {
            // Only recording the outcome failed: counted, and the caller decides what the caller gets.
            PersistenceTelemetry.CircuitUnrecorded("success");
            throw;
        }
    }

    /// <summary>Ends an admitted call that failed; returns the transition it caused, if any.</summary>
    internal async ValueTask<CircuitBreakerTransition?> FailAsync(CircuitAdmission admission)
    {
        try
        {
            if (admission.Fleet)
            {
                if (admission.TrialId is not null)
                {
                    PersistenceTelemetry.CircuitTrial("failed");
                }

                // Without a generator the break is known. With one, the rule says when this failure would open the circuit (and
                // with which counts); the generator runs then, here, never inside the store's transaction, and the rule runs
                // again with its break for the re-open count it was generated for.
                var breakMs = _options.BreakDurationGenerator is null ? CircuitPolicy.ToMs(_options.ResetTimeout) : CircuitFailRule.AskForBreak;
                int? expected = null;
                for (var attempt = 0; ; attempt++)
                {
                    var rule = new CircuitFailRule(_policy!, admission.TrialId, breakMs, expected);
                    await _store!.UpdateAsync(Key, rule, CancellationToken.None).ConfigureAwait(false);
                    if (!rule.NeedsBreak && !rule.BreakStale)
                    {
                        return Observed(rule);
                    }

                    breakMs = await GenerateBreakMsAsync(rule.ReopenCount, rule.FailureCount, rule.FailureRate).ConfigureAwait(false);

                    // Another process may change the re-open count between two runs: after a few, any count will do.
                    expected = attempt < 3 ? rule.ReopenCount : null;
                }
            }

            if (admission.Trial)
            {
                await AbandonAsync(admission).ConfigureAwait(false);

                // Any trial failure reopens it, with a fresh last failure time so the reset timer restarts everywhere.
                await _provider.RecordFailureAsync(Key, 1, CancellationToken.None).ConfigureAwait(false);
                return Transition(CircuitState.HalfOpen, CircuitState.Open);
            }

            var count = await _provider.RecordFailureAsync(Key, _options.FailureThreshold, CancellationToken.None).ConfigureAwait(false);
            return count >= _options.FailureThreshold && (admission.Stored?.State ?? CircuitState.Closed) == CircuitState.Closed
                ? Transition(CircuitState.Closed, CircuitState.Open)
                : null;
        }
        catch (PersistenceException)
        {
            // Only recording the outcome failed: counted, and the caller decides what the caller gets.
            PersistenceTelemetry.CircuitUnrecorded("failure");
            throw;
        }
    }

    /// <summary>
    /// Ends an admitted call that neither succeeded nor failed (cancelled, or an exception not handled): frees its trial
    /// slot, in the store before the task completes (a call right after may take it); a store that cannot be written
    /// leaves the permit to expire after its time to live, and the task completes without an error.
    /// </summary>
    internal ValueTask AbandonAsync(CircuitAdmission admission)
    {
        if (!admission.Trial)
        {
            return ValueTask.CompletedTask;
        }

        if (admission.Fleet)
        {
            PersistenceTelemetry.CircuitTrial("abandoned");
            return ReleaseTrialAsync(admission.TrialId);
        }

        lock (_sync)
        {
            _trialsInFlight--;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Isolates the breaker by hand, for every process on the store: it stays open (calls are rejected with a
    /// <see cref="CircuitBreakerOpenException"/> whose <see cref="CircuitBreakerOpenException.IsIsolated"/> is true)
    /// until <see cref="CloseAsync"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <exception cref="NotSupportedException">The state provider is not one of this library's (it has no fleet state).</exception>
    public async ValueTask IsolateAsync(CancellationToken cancellationToken = default)
    {
        var rule = new CircuitIsolateRule(Policy());
        await _store!.UpdateAsync(Key, rule, cancellationToken).ConfigureAwait(false);
        Raise(Observed(rule));
    }

    /// <summary>
    /// Closes the breaker by hand, for every process on the store: isolated, open or half-open, it is closed with its
    /// counts, window, trials and re-open count reset.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <exception cref="NotSupportedException">The state provider is not one of this library's (it has no fleet state).</exception>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        var rule = new CircuitCloseRule(Policy());
        await _store!.UpdateAsync(Key, rule, cancellationToken).ConfigureAwait(false);
        Raise(Observed(rule));
    }

    // The last millisecond a DateTimeOffset holds: a break past it (a generator's "forever") reads as never.
    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private CircuitPolicy Policy() => _policy ?? throw new NotSupportedException(
        $"Isolating and closing a breaker by hand needs the fleet state of this library's providers; {_provider.GetType().Name} has none.");

    private CircuitAdmission Admission(CircuitAdmitRule rule)
    {
        if (rule.TrialId is not null || rule.State == CircuitState.HalfOpen)
        {
            PersistenceTelemetry.CircuitTrial(rule.TrialId is not null ? "granted" : "rejected");
        }

        var retryAt = rule.Admitted ? default : rule.RetryAtMs >= MaxUnixMs ? DateTimeOffset.MaxValue : Ttl.FromUnixMs(Math.Max(0, rule.RetryAtMs));
        return new CircuitAdmission(rule.Admitted, rule.TrialId, retryAt, Observed(rule), rule.IsIsolated, rule.ReopenCount, rule.FailureCount, rule.FailureRate);
    }

    private async ValueTask<long> GenerateBreakMsAsync(int reopenCount, int failureCount, double failureRate)
    {
        // User code, on the caller's thread, outside the store's transaction. A generator that throws must not stop the
        // failure being recorded (nor keep a trial's permit): the break is then ResetTimeout.
        TimeSpan generated;
        try
        {
            generated = await _options.BreakDurationGenerator!(new CircuitBreakDurationArguments(Key, reopenCount, failureCount, failureRate)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The user's generator: any failure of it falls back to the configured break.
        catch (Exception)
#pragma warning restore CA1031
        {
            generated = _options.ResetTimeout;
        }

        return CircuitPolicy.ToMs(generated);
    }

    private async ValueTask ReleaseTrialAsync(long? trialId)
    {
        try
        {
            await _store!.UpdateAsync(Key, new CircuitAbandonRule(_policy!, trialId), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The permit expires after its time to live anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private CircuitBreakerTransition? Observed(CircuitFleetRule rule) =>
        rule.Transitioned ? Transition(rule.From, rule.To) : null;

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
