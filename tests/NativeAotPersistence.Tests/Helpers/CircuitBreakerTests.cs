using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.Conformance;

namespace NativeAotPersistence.Tests.Helpers;

public sealed class CircuitBreakerTests_Sqlite : CircuitBreakerTests<SqliteFileBackend>;

public sealed class CircuitBreakerTests_Postgres : CircuitBreakerTests<PostgresBackend>;

/// <summary>The circuit-breaker helper over a database-backed state provider: a SQLite file, or PostgreSQL.</summary>
public abstract class CircuitBreakerTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    private readonly TBackend _backend = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private IPersistenceAdapter _adapter = null!;
    private readonly List<CircuitBreakerTransition> _transitions = [];

    public async ValueTask InitializeAsync() => _adapter = await _backend.OpenAsync(time: _time);

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private CircuitBreaker Breaker(int failures = 3, int successes = 1, int trials = 1, ICircuitBreakerStateProvider? provider = null) =>
        new(provider ?? _adapter.CircuitBreakers, "payments", new CircuitBreakerOptions
        {
            FailureThreshold = failures,
            ResetTimeout = TimeSpan.FromSeconds(30),
            SuccessThreshold = successes,
            HalfOpenMaxTrials = trials,
            TimeProvider = _time,
            OnStateChanged = _transitions.Add,
        });

    private static ValueTask<int> Fail(CancellationToken _) => throw new InvalidOperationException("upstream down");

    private static ValueTask<int> Succeed(CancellationToken _) => ValueTask.FromResult(42);

    private static async Task FailTimes(CircuitBreaker breaker, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await breaker.ExecuteAsync(Fail));
        }
    }

    [Fact]
    public async Task Closed_OpensAtTheThreshold_ThenRejectsWithTheRetryTime()
    {
        var breaker = Breaker(failures: 3);
        await FailTimes(breaker, 2);
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync());

        await FailTimes(breaker, 1);
        Assert.Equal(CircuitState.Open, await breaker.GetStateAsync());
        Assert.Equal([new CircuitBreakerTransition("payments", CircuitState.Closed, CircuitState.Open, _time.GetUtcNow())], _transitions);

        var ran = false;
        var rejected = await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(_ =>
        {
            ran = true;
            return ValueTask.FromResult(1);
        }));
        Assert.False(ran);
        Assert.Equal("payments", rejected.Key);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(30), rejected.RetryAt);
        Assert.Equal(TimeSpan.FromSeconds(30), rejected.RetryAfter);

        // Ten seconds on, the same breaker says twenty; once the reset timeout has passed, a call is tried again.
        _time.Advance(TimeSpan.FromSeconds(10));
        rejected = await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(_ => ValueTask.FromResult(1)));
        Assert.Equal(TimeSpan.FromSeconds(20), rejected.RetryAfter);
        Assert.Contains("retry after 00:00:20", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterTheResetTimeout_ATrialSuccessClosesIt()
    {
        var breaker = Breaker(failures: 2);
        await FailTimes(breaker, 2);
        _time.Advance(TimeSpan.FromSeconds(29));
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(Succeed));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, await breaker.GetStateAsync());
        Assert.Equal(42, await breaker.ExecuteAsync(Succeed));

        var state = await _adapter.CircuitBreakers.GetStateAsync("payments");
        Assert.Equal(CircuitState.Closed, state!.State);
        Assert.Equal(0, state.FailureCount);
        Assert.Equal(
            [(CircuitState.Closed, CircuitState.Open), (CircuitState.Open, CircuitState.HalfOpen), (CircuitState.HalfOpen, CircuitState.Closed)],
            _transitions.Select(t => (t.From, t.To)));
    }

    [Fact]
    public async Task ATrialFailure_ReopensIt_AndRestartsTheResetTimer()
    {
        var breaker = Breaker(failures: 2);
        await FailTimes(breaker, 2);
        _time.Advance(TimeSpan.FromSeconds(31));

        await FailTimes(breaker, 1);
        var state = await _adapter.CircuitBreakers.GetStateAsync("payments");
        Assert.Equal(CircuitState.Open, state!.State);
        Assert.Equal(_time.GetUtcNow(), state.LastFailureTime);
        Assert.Equal((CircuitState.HalfOpen, CircuitState.Open), (_transitions[^1].From, _transitions[^1].To));

        _time.Advance(TimeSpan.FromSeconds(29));
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(Succeed));
    }

    [Fact]
    public async Task HalfOpen_AdmitsAtMostTheTrialLimit_AtOnce()
    {
        var breaker = Breaker(failures: 1, trials: 2, successes: 2);
        await FailTimes(breaker, 1);
        _time.Advance(TimeSpan.FromSeconds(30));

        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = 0;
        var bothEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<int> Trial(CancellationToken _)
        {
            if (Interlocked.Increment(ref entered) == 2)
            {
                bothEntered.SetResult();
            }

            return new ValueTask<int>(gate.Task);
        }

        var first = breaker.ExecuteAsync(Trial).AsTask();
        var second = breaker.ExecuteAsync(Trial).AsTask();

        // On a server each call reads the stored state first, a round trip: the two trials must hold their slots
        // before the third call comes, or the third could take a slot a slower one was about to take.
        await bothEntered.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(Succeed));

        gate.SetResult(7);
        Assert.Equal(7, await first);
        Assert.Equal(7, await second);
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync());
    }

    [Fact]
    public async Task SuccessThreshold_NeedsThatManyTrialSuccesses()
    {
        var breaker = Breaker(failures: 1, successes: 3);
        await FailTimes(breaker, 1);
        _time.Advance(TimeSpan.FromSeconds(30));

        await breaker.ExecuteAsync(Succeed);
        await breaker.ExecuteAsync(Succeed);
        Assert.Equal(CircuitState.HalfOpen, await breaker.GetStateAsync());
        await breaker.ExecuteAsync(Succeed);
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync());
    }

    [Fact]
    public async Task CancellationOfTheCallersToken_IsNotAFailure()
    {
        var breaker = Breaker(failures: 1);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await breaker.ExecuteAsync(ct => { ct.ThrowIfCancellationRequested(); return ValueTask.FromResult(1); }, cts.Token));

        Assert.Null(await _adapter.CircuitBreakers.GetStateAsync("payments"));
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync());
    }

    [Fact]
    public async Task ShouldHandle_DecidesWhichExceptionsCount()
    {
        var breaker = new CircuitBreaker(_adapter.CircuitBreakers, "payments", new CircuitBreakerOptions
        {
            FailureThreshold = 1,
            TimeProvider = _time,
            ShouldHandle = e => e is TimeoutException,
        });

        await Assert.ThrowsAsync<ArgumentException>(async () => await breaker.ExecuteAsync<int>(_ => throw new ArgumentException("bad input")));
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync());
        await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<int>(_ => throw new TimeoutException()));
        Assert.Equal(CircuitState.Open, await breaker.GetStateAsync());
    }

    [Fact]
    public async Task ASuccess_ResetsTheConsecutiveFailureCount()
    {
        var breaker = Breaker(failures: 3);
        await FailTimes(breaker, 2);
        await breaker.ExecuteAsync(Succeed);
        await FailTimes(breaker, 2);
        Assert.Equal(CircuitState.Closed, await breaker.GetStateAsync());
        Assert.Equal(2, (await _adapter.CircuitBreakers.GetStateAsync("payments"))!.FailureCount);
    }

    [Fact]
    public async Task TwoAdaptersOnOneFile_ShareOneBreaker()
    {
        var other = await _backend.OpenAsync(time: _time);
        var here = Breaker(failures: 2);
        var there = Breaker(failures: 2, provider: other.CircuitBreakers);

        await FailTimes(here, 2);
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await there.ExecuteAsync(Succeed));

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(42, await there.ExecuteAsync(Succeed));
        Assert.Equal(42, await here.ExecuteAsync(Succeed));
        Assert.Equal(CircuitState.Closed, await here.GetStateAsync());
    }

    [Fact]
    public void BadOptions_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(_adapter.CircuitBreakers, "k", new CircuitBreakerOptions { FailureThreshold = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(_adapter.CircuitBreakers, "k", new CircuitBreakerOptions { ResetTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new CircuitBreaker(_adapter.CircuitBreakers, "", null));
    }
}
