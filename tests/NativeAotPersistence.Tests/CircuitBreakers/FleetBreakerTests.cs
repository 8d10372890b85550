using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.CircuitBreakers;

/// <summary>
/// The fleet breaker through its public API, two adapters on one SQLite file standing for two processes: the half-open
/// trials and the trial successes are counted across them, a trial that never ends frees its permit after its time to
/// live, the break grows with the shared re-open count, the failure ratio is one window for both, and isolation by hand
/// is seen by both.
/// </summary>
public sealed class FleetBreakerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(Start);
    private SqliteAdapter _a = null!;
    private SqliteAdapter _b = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var options = new PersistenceAdapterOptions { KeyPrefix = "fleet:", TimeProvider = _time };
        _a = await SqliteAdapter.OpenAsync(_temp.File("fleet.db"), options);
        _b = await SqliteAdapter.OpenAsync(_temp.File("fleet.db"), options);
    }

    public async ValueTask DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task HalfOpenTrials_AreCountedAcrossProcesses_AndSoAreTheirSuccesses()
    {
        var options = new CircuitBreakerOptions { FailureThreshold = 1, ResetTimeout = TimeSpan.FromSeconds(1), HalfOpenMaxTrials = 1, SuccessThreshold = 2 };
        var a = new CircuitBreaker(_a.CircuitBreakers, "api", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "api", options);
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());

        _time.Advance(TimeSpan.FromSeconds(1));
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var trial = a.ExecuteAsync(_ => new ValueTask<int>(release.Task), Ct).AsTask();

        // The one trial permit is A's: B, another process, is rejected (per process, it would have run its own trial).
        var rejected = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(2), Ct).AsTask());
        Assert.False(rejected.IsIsolated);
        var listed = Assert.Single(await _b.Admin.ListCircuitsAsync(Ct));
        Assert.Equal((CircuitState.HalfOpen, 1, 1, false), (listed.State.State, listed.TrialsInFlight, listed.ReopenCount, listed.IsIsolated));
        release.SetResult(1);
        Assert.Equal(1, await trial);

        // One success of two: still half-open; B's trial is the second success, fleet-wide, and closes it.
        Assert.Equal(CircuitState.HalfOpen, await a.GetStateAsync(Ct));
        Assert.Equal(2, await b.ExecuteAsync(_ => ValueTask.FromResult(2), Ct));
        Assert.Equal(CircuitState.Closed, await a.GetStateAsync(Ct));
        Assert.Equal(3, await a.ExecuteAsync(_ => ValueTask.FromResult(3), Ct));
    }

    [Fact]
    public async Task ATrialThatNeverEnds_FreesItsPermitAfterItsTimeToLive()
    {
        var options = new CircuitBreakerOptions { FailureThreshold = 1, ResetTimeout = TimeSpan.FromSeconds(1), TrialPermitTtl = TimeSpan.FromSeconds(5) };
        var a = new CircuitBreaker(_a.CircuitBreakers, "ttl", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "ttl", options);
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        _time.Advance(TimeSpan.FromSeconds(1));

        // A's trial hangs (its process might as well have died): B waits until the permit's time to live has passed.
        var hung = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = a.ExecuteAsync(_ => new ValueTask<int>(hung.Task), Ct).AsTask();
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        Assert.Equal(CircuitState.Closed, await b.GetStateAsync(Ct));
        hung.SetResult(0);
    }

    [Fact]
    public async Task TheBreakGrows_WithTheReopenCountEveryProcessShares()
    {
        var seen = new List<int>();
        var options = new CircuitBreakerOptions
        {
            FailureThreshold = 1,
            BreakDurationGenerator = args =>
            {
                lock (seen)
                {
                    seen.Add(args.ReopenCount);
                }

                return ValueTask.FromResult(TimeSpan.FromSeconds(Math.Min(60, 2 << args.ReopenCount)));
            },
        };
        var a = new CircuitBreaker(_a.CircuitBreakers, "grow", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "grow", options);
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        var first = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(2), first.RetryAfter);
        Assert.Equal(Start + TimeSpan.FromSeconds(2), Assert.Single(await _b.Admin.ListCircuitsAsync(Ct)).OpenUntil);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.Open, await a.GetStateAsync(Ct));

        // The generated break (2 s) has ended, long before ResetTimeout (30 s by default) would have: half-open.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, await a.GetStateAsync(Ct));

        // B's failed trial re-opens it for the doubled break, which A sees.
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        var second = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(4), second.RetryAfter);
        Assert.Equal([0, 1], seen);

        // A success closes it and the count starts again.
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, await a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        var third = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(2), third.RetryAfter);
    }

    [Fact]
    public async Task TheFailureRatio_IsOneWindowForEveryProcess()
    {
        var options = new CircuitBreakerOptions { FailureRatio = 0.5, MinimumThroughput = 4, SamplingDuration = TimeSpan.FromSeconds(10) };
        var a = new CircuitBreaker(_a.CircuitBreakers, "ratio", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "ratio", options);
        Assert.Equal(1, await a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        Assert.Equal(1, await a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        Assert.Equal(CircuitState.Closed, await a.GetStateAsync(Ct));

        // The fourth call of the window, B's second failure: 2 of 4 failed, at the minimum throughput: open for both.
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
    }

    [Fact]
    public async Task IsolationByHand_IsSeenByEveryProcess_UntilClosedByHand()
    {
        var a = new CircuitBreaker(_a.CircuitBreakers, "manual");
        var b = new CircuitBreaker(_b.CircuitBreakers, "manual");
        Assert.Equal(1, await b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        await a.IsolateAsync(Ct);

        var rejected = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
        Assert.True(rejected.IsIsolated);
        var listed = Assert.Single(await _a.Admin.ListCircuitsAsync(Ct));
        Assert.Equal((CircuitState.Open, true, null), (listed.State.State, listed.IsIsolated, listed.OpenUntil));
        Assert.Equal(Timeout.InfiniteTimeSpan, rejected.RetryAfter);
        Assert.Equal(DateTimeOffset.MaxValue, rejected.RetryAt);

        // No amount of time lets a trial through, and the state reads open all along.
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(CircuitState.Open, await b.GetStateAsync(Ct));
        Assert.True((await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask())).IsIsolated);

        await b.CloseAsync(Ct);
        Assert.Equal(2, await a.ExecuteAsync(_ => ValueTask.FromResult(2), Ct));
        Assert.Equal(CircuitState.Closed, await a.GetStateAsync(Ct));
    }

    [Fact]
    public async Task AProviderWithoutFleetState_RefusesTheOptionsThatNeedIt()
    {
        var foreign = new Decorator(_a.CircuitBreakers);
        Assert.Throws<ArgumentException>(() => new CircuitBreaker(foreign, "k", new CircuitBreakerOptions { FailureRatio = 0.5 }));
        Assert.Throws<ArgumentException>(() => new CircuitBreaker(foreign, "k", new CircuitBreakerOptions { BreakDurationGenerator = _ => ValueTask.FromResult(TimeSpan.FromSeconds(1)) }));
        Assert.Throws<ArgumentException>(() => new CircuitBreaker(foreign, "k", new CircuitBreakerOptions { TrialPermitTtl = TimeSpan.FromSeconds(5) }));
        var plain = new CircuitBreaker(foreign, "k");
        await Assert.ThrowsAsync<NotSupportedException>(() => plain.IsolateAsync(Ct).AsTask());
        Assert.Equal(1, await plain.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
    }

    [Fact]
    public async Task ABreakerOverADecorator_DoesNotEndAnIsolationMadeByHand()
    {
        var options = new CircuitBreakerOptions { FailureThreshold = 2, ResetTimeout = TimeSpan.FromSeconds(1) };
        var fleet = new CircuitBreaker(_a.CircuitBreakers, "mixed", options);
        var counting = new Decorator(_b.CircuitBreakers);
        var plain = new CircuitBreaker(counting, "mixed", options);
        var transitions = new List<CircuitBreakerTransition>();
        plain.StateChanged += (_, t) => transitions.Add(t);

        // A call of the per-process breaker is admitted with one failure counted, and is still running when the circuit
        // opens and is isolated.
        await Assert.ThrowsAsync<TimeoutException>(() => fleet.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        var late = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateCall = plain.ExecuteAsync(_ => new ValueTask<int>(late.Task), Ct).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => fleet.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        await fleet.IsolateAsync(Ct);

        // Its late success resets the count it saw (RecordSuccessAsync), and its reset timeout passing moves the circuit
        // to half-open (SetStateAsync): both leave the isolation as it is, and the fleet breaker still rejects, for good.
        late.SetResult(1);
        Assert.Equal(1, await lateCall);
        Assert.Equal(1, counting.Successes);
        _time.Advance(TimeSpan.FromSeconds(5));
        var rejected = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => plain.ExecuteAsync(_ => ValueTask.FromResult(2), Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(1), rejected.RetryAfter);
        Assert.True((await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => fleet.ExecuteAsync(_ => ValueTask.FromResult(3), Ct).AsTask())).IsIsolated);
        Assert.True(Assert.Single(await _a.Admin.ListCircuitsAsync(Ct)).IsIsolated);

        // Within its reset timeout the per-process breaker does not try again: a read per rejected call, no write.
        var sets = counting.Sets;
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => plain.ExecuteAsync(_ => ValueTask.FromResult(2), Ct).AsTask());
        Assert.Equal(sets, counting.Sets);
        Assert.Empty(transitions);

        await fleet.CloseAsync(Ct);
        Assert.Equal(4, await plain.ExecuteAsync(_ => ValueTask.FromResult(4), Ct));
    }

    [Fact]
    public async Task AListenerThatThrows_GivesTheTrialPermitBackAtOnce()
    {
        var options = new CircuitBreakerOptions { FailureThreshold = 1, ResetTimeout = TimeSpan.FromSeconds(1) };
        var throwing = new CircuitBreaker(_a.CircuitBreakers, "listener", new CircuitBreakerOptions
        {
            FailureThreshold = 1, ResetTimeout = TimeSpan.FromSeconds(1),
            OnStateChanged = t => { if (t.To == CircuitState.HalfOpen) { throw new InvalidOperationException("listener"); } },
        });
        var b = new CircuitBreaker(_b.CircuitBreakers, "listener", options);
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        _time.Advance(TimeSpan.FromSeconds(1));

        // A's admission took the one trial permit, then its listener threw: the call never ran, and B gets the permit now
        // (not after TrialPermitTtl).
        var ran = false;
        await Assert.ThrowsAsync<InvalidOperationException>(() => throwing.ExecuteAsync(_ => { ran = true; return ValueTask.FromResult(1); }, Ct).AsTask());
        Assert.False(ran);
        Assert.Equal(0, Assert.Single(await _b.Admin.ListCircuitsAsync(Ct)).TrialsInFlight);
        Assert.Equal(2, await b.ExecuteAsync(_ => ValueTask.FromResult(2), Ct));
        Assert.Equal(CircuitState.Closed, await b.GetStateAsync(Ct));
    }

    [Fact]
    public async Task AGeneratorThatThrows_StillLetsTheFailureCount_WithTheConfiguredBreak()
    {
        var a = new CircuitBreaker(_a.CircuitBreakers, "generator", new CircuitBreakerOptions
        {
            FailureThreshold = 1, ResetTimeout = TimeSpan.FromSeconds(7),
            BreakDurationGenerator = _ => throw new InvalidOperationException("generator"),
        });
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        var rejected = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => a.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(7), rejected.RetryAfter);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(_a.CircuitBreakers, "k", new CircuitBreakerOptions { HalfOpenMaxTrials = 1_001 }));
    }

    [Fact]
    public async Task TheGenerator_RunsOnlyForTheFailureThatOpens_WithTheCountsOfTheOpening()
    {
        var calls = new List<CircuitBreakDurationArguments>();
        var options = new CircuitBreakerOptions
        {
            FailureRatio = 0.5, MinimumThroughput = 4, SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDurationGenerator = args =>
            {
                lock (calls)
                {
                    calls.Add(args);
                }

                return ValueTask.FromResult(TimeSpan.FromSeconds(3));
            },
        };
        var a = new CircuitBreaker(_a.CircuitBreakers, "counts", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "counts", options);
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        Assert.Equal(1, await b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        Assert.Empty(calls);

        // The fourth call of the window, a third failure of four: it opens, and the generator hears the window's counts.
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        var opening = Assert.Single(calls);
        Assert.Equal((0, 3, 0.75), (opening.ReopenCount, opening.FailureCount, opening.FailureRate));
        Assert.Equal(TimeSpan.FromSeconds(3), (await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => ValueTask.FromResult(1), Ct).AsTask())).RetryAfter);
    }

    [Fact]
    public async Task ASuccessTheStoreCannotRecord_IsStillTheCallersResult()
    {
        var flaky = new FailingUpdates(_a.CircuitBreakers);
        var breaker = new CircuitBreaker(flaky, "flaky", new CircuitBreakerOptions { FailureRatio = 0.5, MinimumThroughput = 10 });
        flaky.Fail = true;
        Assert.Equal(42, await breaker.ExecuteAsync(_ => ValueTask.FromResult(42), Ct));
        flaky.Fail = false;
        Assert.Equal(43, await breaker.ExecuteAsync(_ => ValueTask.FromResult(43), Ct));
    }

    [Fact]
    public async Task AFailureTheStoreCannotRecord_IsStillTheCallersOwnException()
    {
        var flaky = new FailingUpdates(_a.CircuitBreakers);
        var breaker = new CircuitBreaker(flaky, "flaky-failure", new CircuitBreakerOptions { FailureRatio = 0.5, MinimumThroughput = 2 });
        flaky.Fail = true;
        var own = new TimeoutException("the call's own");
        Assert.Same(own, await Assert.ThrowsAsync<TimeoutException>(() => breaker.ExecuteAsync<int>(_ => throw own, Ct).AsTask()));
        flaky.Fail = false;

        // Nothing of the unrecorded failure is in the window: two more failures are the two the window holds.
        await Assert.ThrowsAsync<TimeoutException>(() => breaker.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync(Ct));
        await Assert.ThrowsAsync<TimeoutException>(() => breaker.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        Assert.Equal(CircuitState.Open, await breaker.GetStateAsync(Ct));
    }

    [Fact]
    public async Task ConsecutiveMeansConsecutive_ASuccessAdmittedBeforeOtherFailures_StillResetsTheCount()
    {
        var options = new CircuitBreakerOptions { FailureThreshold = 2, ResetTimeout = TimeSpan.FromSeconds(1) };
        var a = new CircuitBreaker(_a.CircuitBreakers, "interleaved", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "interleaved", options);

        // A's call is admitted with no failure counted; B fails meanwhile; A succeeds; B fails again. The two failures
        // are not consecutive (A's success came between them): the breaker stays closed, as one process's would.
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = a.ExecuteAsync(_ => new ValueTask<int>(release.Task), Ct).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        release.SetResult(1);
        Assert.Equal(1, await slow);
        await Assert.ThrowsAsync<TimeoutException>(() => b.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());
        Assert.Equal(CircuitState.Closed, await a.GetStateAsync(Ct));
        Assert.Equal(1, (await _a.CircuitBreakers.GetStateAsync("interleaved", Ct))!.FailureCount);
    }

    [Fact]
    public async Task ATrialStillInFlightWhenTheBreakerReopens_KeepsItsPermit_IntoTheNextHalfOpenPeriod()
    {
        var options = new CircuitBreakerOptions { FailureThreshold = 1, ResetTimeout = TimeSpan.FromSeconds(1), HalfOpenMaxTrials = 1 };
        var a = new CircuitBreaker(_a.CircuitBreakers, "reopen", options);
        var b = new CircuitBreaker(_b.CircuitBreakers, "reopen", options);

        // B's call is admitted while closed and hangs; A's failure opens the breaker.
        var late = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateCall = b.ExecuteAsync(_ => new ValueTask<int>(late.Task), Ct).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => a.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct).AsTask());

        // Half-open: A's trial takes the one permit and hangs.
        _time.Advance(TimeSpan.FromSeconds(1));
        var trial = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var trialCall = a.ExecuteAsync(_ => new ValueTask<int>(trial.Task), Ct).AsTask();
        Assert.Equal(1, Assert.Single(await _a.Admin.ListCircuitsAsync(Ct)).TrialsInFlight);

        // B's late call fails while half-open: the breaker re-opens. A's trial is still running.
        late.SetException(new TimeoutException());
        await Assert.ThrowsAsync<TimeoutException>(() => lateCall);
        Assert.Equal(CircuitState.Open, await b.GetStateAsync(Ct));

        // The next half-open period: A's trial still holds the one permit, so no second trial runs beside it.
        _time.Advance(TimeSpan.FromSeconds(1));
        var ran = false;
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => b.ExecuteAsync(_ => { ran = true; return ValueTask.FromResult(2); }, Ct).AsTask());
        Assert.False(ran);

        // A's trial succeeds: its permit is back, and its success closes the breaker (SuccessThreshold 1).
        trial.SetResult(1);
        Assert.Equal(1, await trialCall);
        Assert.Equal(CircuitState.Closed, await b.GetStateAsync(Ct));
        Assert.Equal(0, Assert.Single(await _b.Admin.ListCircuitsAsync(Ct)).TrialsInFlight);
    }

    /// <summary>The library's provider, whose fleet updates fail (as a busy store past its budget) while <see cref="Fail"/> is set.</summary>
    private sealed class FailingUpdates(ICircuitBreakerStateProvider inner) : ICircuitBreakerStateProvider, NativeAotPersistence.Backends.ICircuitStore
    {
        public bool Fail { get; set; }

        public TimeProvider TimeProvider => inner.TimeProvider;

        public TimeProvider Time => ((NativeAotPersistence.Backends.ICircuitStore)inner).Time;

        public ValueTask UpdateAsync(string key, NativeAotPersistence.Backends.CircuitRule rule, CancellationToken cancellationToken) =>
            Fail ? ValueTask.FromException(new PersistenceException("the store is busy")) : ((NativeAotPersistence.Backends.ICircuitStore)inner).UpdateAsync(key, rule, cancellationToken);

        public ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default) => inner.GetStateAsync(key, cancellationToken);

        public ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default) => inner.SetStateAsync(key, state, cancellationToken);

        public ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default) => inner.RecordFailureAsync(key, maxFailures, cancellationToken);

        public ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default) => inner.RecordSuccessAsync(key, cancellationToken);
    }

    /// <summary>A provider of someone else's: it passes every call on, and has no fleet state.</summary>
    private sealed class Decorator(ICircuitBreakerStateProvider inner) : ICircuitBreakerStateProvider
    {
        public TimeProvider TimeProvider => inner.TimeProvider;

        public ValueTask<CircuitBreakerPersistedState?> GetStateAsync(string key, CancellationToken cancellationToken = default) => inner.GetStateAsync(key, cancellationToken);

        public int Sets { get; private set; }

        public int Successes { get; private set; }

        public ValueTask SetStateAsync(string key, CircuitBreakerPersistedState state, CancellationToken cancellationToken = default)
        {
            Sets++;
            return inner.SetStateAsync(key, state, cancellationToken);
        }

        public ValueTask<int> RecordFailureAsync(string key, int maxFailures, CancellationToken cancellationToken = default) => inner.RecordFailureAsync(key, maxFailures, cancellationToken);

        public ValueTask RecordSuccessAsync(string key, CancellationToken cancellationToken = default)
        {
            Successes++;
            return inner.RecordSuccessAsync(key, cancellationToken);
        }
    }
}
