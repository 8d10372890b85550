using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Telemetry;

namespace NativeAotPersistence.Tests.Polly;

public sealed class PersistentCircuitBreakerPollyTests : IAsyncLifetime
{
    private const string Key = "payments";
    private static readonly TimeSpan s_reset = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly List<CircuitBreakerTransition> _transitions = [];
    private SqliteAdapter _adapter = null!;

    public async ValueTask InitializeAsync() =>
        _adapter = await SqliteAdapter.OpenAsync(_dir.File("breaker.db"), new PersistenceAdapterOptions { TimeProvider = _time });

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        _dir.Dispose();
    }

    private ResiliencePipeline<int> Pipeline(
        int failures = 3,
        int successes = 1,
        int trials = 1,
        ICircuitBreakerStateProvider? provider = null,
        Func<CircuitBreakerPredicateArguments<int>, ValueTask<bool>>? shouldHandle = null,
        TelemetryListener? telemetry = null)
    {
        var options = new PersistentCircuitBreakerOptions<int>
        {
            FailureThreshold = failures,
            ResetTimeout = s_reset,
            SuccessThreshold = successes,
            HalfOpenMaxTrials = trials,
            OnStateChanged = args =>
            {
                lock (_transitions)
                {
                    _transitions.Add(args.Transition);
                }

                return ValueTask.CompletedTask;
            },
        };
        if (shouldHandle is not null)
        {
            options.ShouldHandle = shouldHandle;
        }

        return new ResiliencePipelineBuilder<int> { TimeProvider = _time, TelemetryListener = telemetry }
            .AddPersistentCircuitBreaker(provider ?? _adapter.CircuitBreakers, Key, options)
            .Build();
    }

    private static ValueTask<int> Fail(CancellationToken _) => throw new InvalidOperationException("upstream down");

    private static ValueTask<int> Succeed(CancellationToken _) => ValueTask.FromResult(42);

    private static async Task FailTimes(ResiliencePipeline<int> pipeline, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ExecuteAsync(Fail));
        }
    }

    private async Task<CircuitBreakerPersistedState?> Stored(ICircuitBreakerStateProvider? provider = null) =>
        await (provider ?? _adapter.CircuitBreakers).GetStateAsync(Key);

    [Fact]
    public async Task Closed_OpensAtTheThreshold_ThenRejectsWithTheRetryTime()
    {
        var pipeline = Pipeline(failures: 3);
        await FailTimes(pipeline, 2);
        Assert.Equal(CircuitState.Closed, (await Stored())!.State);
        Assert.Empty(_transitions);

        await FailTimes(pipeline, 1);
        Assert.Equal(CircuitState.Open, (await Stored())!.State);
        Assert.Equal([new CircuitBreakerTransition(Key, CircuitState.Closed, CircuitState.Open, _time.GetUtcNow())], _transitions);

        var opened = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(10));
        var ran = false;
        var rejected = await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            ran = true;
            return ValueTask.FromResult(1);
        }));
        Assert.False(ran);
        Assert.IsAssignableFrom<BrokenCircuitException>(rejected);
        Assert.Equal(Key, rejected.Key);
        Assert.Equal(opened + s_reset, rejected.RetryAt);
        Assert.Equal(TimeSpan.FromSeconds(20), rejected.RetryAfter);
        Assert.NotNull(rejected.TelemetrySource);
    }

    [Fact]
    public async Task AfterTheResetTimeout_ItIsHalfOpen_AndATrialSuccessClosesIt()
    {
        var pipeline = Pipeline(failures: 2);
        await FailTimes(pipeline, 2);
        _time.Advance(s_reset - TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(Succeed));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(42, await pipeline.ExecuteAsync(Succeed));

        var state = await Stored();
        Assert.Equal(CircuitState.Closed, state!.State);
        Assert.Equal(0, state.FailureCount);
        Assert.Equal(
            [(CircuitState.Closed, CircuitState.Open), (CircuitState.Open, CircuitState.HalfOpen), (CircuitState.HalfOpen, CircuitState.Closed)],
            _transitions.Select(t => (t.From, t.To)));
    }

    [Fact]
    public async Task ATrialFailure_ReopensIt_AndRestartsTheResetTimer()
    {
        var pipeline = Pipeline(failures: 2);
        await FailTimes(pipeline, 2);
        _time.Advance(s_reset + TimeSpan.FromSeconds(1));

        await FailTimes(pipeline, 1);
        var state = await Stored();
        Assert.Equal(CircuitState.Open, state!.State);
        Assert.Equal(_time.GetUtcNow(), state.LastFailureTime);
        Assert.Equal((CircuitState.HalfOpen, CircuitState.Open), (_transitions[^1].From, _transitions[^1].To));

        _time.Advance(s_reset - TimeSpan.FromSeconds(1));
        var rejected = await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(Succeed));
        Assert.Equal(TimeSpan.FromSeconds(1), rejected.RetryAfter);
    }

    [Fact]
    public async Task HalfOpen_AdmitsAtMostTheTrialLimit_AtOnce()
    {
        var pipeline = Pipeline(failures: 1, trials: 2, successes: 2);
        await FailTimes(pipeline, 1);
        _time.Advance(s_reset);

        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = pipeline.ExecuteAsync(_ => new ValueTask<int>(gate.Task)).AsTask();
        var second = pipeline.ExecuteAsync(_ => new ValueTask<int>(gate.Task)).AsTask();
        var rejected = await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(Succeed));

        // Every trial permit is taken (fleet-wide): one frees at the latest when the first trial's permit expires.
        Assert.Equal(TimeSpan.FromSeconds(30), rejected.RetryAfter);

        gate.SetResult(7);
        Assert.Equal(7, await first);
        Assert.Equal(7, await second);
        Assert.Equal(CircuitState.Closed, (await Stored())!.State);
    }

    [Fact]
    public async Task ShouldHandle_DecidesWhatCounts_AndUnhandledExceptionsAreSuccesses_AsInPolly()
    {
        var pipeline = Pipeline(failures: 2, shouldHandle: new PredicateBuilder<int>()
            .Handle<TimeoutException>()
            .HandleResult(r => r < 0));

        await FailTimes(pipeline, 3);
        Assert.Null(await Stored());

        await Assert.ThrowsAsync<TimeoutException>(async () => await pipeline.ExecuteAsync<int>(_ => throw new TimeoutException()));
        Assert.Equal(1, (await Stored())!.FailureCount);

        // As Polly's breaker does, an exception ShouldHandle does not handle counts as a success: the count starts again.
        await FailTimes(pipeline, 1);
        Assert.Equal(0, (await Stored())!.FailureCount);

        Assert.Equal(-1, await pipeline.ExecuteAsync(_ => ValueTask.FromResult(-1)));
        Assert.Equal(CircuitState.Closed, (await Stored())!.State);
        Assert.Equal(-2, await pipeline.ExecuteAsync(_ => ValueTask.FromResult(-2)));
        Assert.Equal(CircuitState.Open, (await Stored())!.State);
    }

    [Fact]
    public async Task AnUnhandledResult_IsASuccess_AndResetsTheCount()
    {
        var pipeline = Pipeline(failures: 3);
        await FailTimes(pipeline, 2);
        Assert.Equal(42, await pipeline.ExecuteAsync(Succeed));
        await FailTimes(pipeline, 2);
        Assert.Equal(CircuitState.Closed, (await Stored())!.State);
        Assert.Equal(2, (await Stored())!.FailureCount);
    }

    [Fact]
    public async Task CancellationOfTheExecution_IsNotAFailure_EvenWhenShouldHandleSaysSo()
    {
        var pipeline = Pipeline(failures: 1, shouldHandle: _ => ValueTask.FromResult(true));

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(
            async ct =>
            {
                await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
                return 1;
            },
            cts.Token));
        Assert.Null(await Stored());

        // Already cancelled: the callback does not run, and nothing is recorded.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(Succeed, cts.Token));
        Assert.Null(await Stored());
        Assert.Equal(42, await pipeline.ExecuteAsync(Succeed, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ACancelledTrial_FreesItsSlot()
    {
        var pipeline = Pipeline(failures: 1);
        await FailTimes(pipeline, 1);
        _time.Advance(s_reset);

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(
            async ct =>
            {
                await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
                return 1;
            },
            cts.Token));
        Assert.Equal(CircuitState.HalfOpen, (await Stored())!.State);
        Assert.Equal(42, await pipeline.ExecuteAsync(Succeed));
        Assert.Equal(CircuitState.Closed, (await Stored())!.State);
    }

    [Fact]
    public async Task NonGenericPipeline_HandlesAnyResultType()
    {
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddPersistentCircuitBreaker(_adapter.CircuitBreakers, Key, new PersistentCircuitBreakerOptions
            {
                FailureThreshold = 2,
                ShouldHandle = new PredicateBuilder().Handle<InvalidOperationException>().HandleResult("bad"),
            })
            .Build();

        Assert.Equal("ok", await pipeline.ExecuteAsync(_ => ValueTask.FromResult("ok")));
        Assert.Equal("bad", await pipeline.ExecuteAsync(_ => ValueTask.FromResult("bad")));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ExecuteAsync(_ => throw new InvalidOperationException()));
        await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(_ => ValueTask.FromResult(1)));
    }

    [Fact]
    public async Task Transitions_ReachPollyTelemetry_UnderPollysEventNames()
    {
        var listener = new RecordingListener();
        var pipeline = Pipeline(failures: 1, telemetry: listener);
        await FailTimes(pipeline, 1);
        _time.Advance(s_reset);
        await pipeline.ExecuteAsync(Succeed);

        Assert.Equal(
            [("OnCircuitOpened", ResilienceEventSeverity.Error), ("OnCircuitHalfOpened", ResilienceEventSeverity.Warning), ("OnCircuitClosed", ResilienceEventSeverity.Information)],
            listener.Events);
    }

    [Fact]
    public async Task AnOuterRetry_HandlesTheRejection_AsAnyBrokenCircuit()
    {
        var inner = Pipeline(failures: 1);
        await FailTimes(inner, 1);

        var attempts = 0;
        var outer = new ResiliencePipelineBuilder<int> { TimeProvider = _time }
            .AddRetry(new()
            {
                ShouldHandle = new PredicateBuilder<int>().Handle<BrokenCircuitException>(),
                MaxRetryAttempts = 2,
                Delay = TimeSpan.Zero,
                OnRetry = _ =>
                {
                    attempts++;
                    return ValueTask.CompletedTask;
                },
            })
            .AddPipeline(inner)
            .Build();

        await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await outer.ExecuteAsync(Succeed));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public void BadArguments_AreRejectedWhenAdded()
    {
        var builder = new ResiliencePipelineBuilder<int>();
        Assert.Throws<ValidationException>(() => builder.AddPersistentCircuitBreaker(_adapter.CircuitBreakers, Key, new() { FailureThreshold = 0 }));
        Assert.Throws<ValidationException>(() => builder.AddPersistentCircuitBreaker(_adapter.CircuitBreakers, Key, new() { ResetTimeout = TimeSpan.Zero }));
        Assert.Throws<ValidationException>(() => builder.AddPersistentCircuitBreaker(_adapter.CircuitBreakers, Key, new() { ShouldHandle = null! }));
        Assert.Throws<ArgumentException>(() => builder.AddPersistentCircuitBreaker(_adapter.CircuitBreakers, "", new()));
        Assert.Throws<ArgumentNullException>(() => builder.AddPersistentCircuitBreaker(null!, Key, new()));
    }

    [Fact]
    public async Task TwoAdaptersOnOneFile_TwoPipelines_SeeOneBreaker()
    {
        // Two adapters on one file stand for two processes.
        await using var other = await SqliteAdapter.OpenAsync(_dir.File("breaker.db"), new PersistenceAdapterOptions { TimeProvider = _time });
        await SharedBreaker(_adapter.CircuitBreakers, other.CircuitBreakers);
    }

    [Fact]
    public async Task TwoPostgresAdapters_TwoPipelines_SeeOneBreaker()
    {
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        var options = new PersistenceAdapterOptions { TimeProvider = _time };
        await using var one = await PostgresAdapter.OpenAsync(connectionString, options, TestContext.Current.CancellationToken);
        await using var two = await PostgresAdapter.OpenAsync(connectionString, options, TestContext.Current.CancellationToken);
        await SharedBreaker(one.CircuitBreakers, two.CircuitBreakers);
    }

    private async Task SharedBreaker(ICircuitBreakerStateProvider oneStore, ICircuitBreakerStateProvider twoStore)
    {
        var one = Pipeline(failures: 4, provider: oneStore);
        var two = Pipeline(failures: 4, provider: twoStore);

        // Failures in either count toward one threshold.
        await FailTimes(one, 2);
        await FailTimes(two, 1);
        Assert.Equal(CircuitState.Closed, (await Stored(twoStore))!.State);
        await FailTimes(one, 1);
        Assert.Equal(CircuitState.Open, (await Stored(twoStore))!.State);

        // Opened by one, it rejects in the other.
        var rejected = await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await two.ExecuteAsync(Succeed));
        Assert.Equal(_time.GetUtcNow() + s_reset, rejected.RetryAt);

        // A trial success in the other closes it for both.
        _time.Advance(s_reset);
        Assert.Equal(42, await two.ExecuteAsync(Succeed));
        Assert.Equal(CircuitState.Closed, (await Stored(oneStore))!.State);
        Assert.Equal(42, await one.ExecuteAsync(Succeed));
        Assert.Equal(0, (await Stored(oneStore))!.FailureCount);
    }

    private sealed class RecordingListener : TelemetryListener
    {
        public List<(string Name, ResilienceEventSeverity Severity)> Events { get; } = [];

        public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
        {
            if (args.Arguments is OnPersistentCircuitStateChangedArguments)
            {
                Events.Add((args.Event.EventName, args.Event.Severity));
            }
        }
    }
}
