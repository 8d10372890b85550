using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.Conformance;

namespace NativeAotPersistence.Tests.Helpers;

public sealed class LockHelperTests_Sqlite : LockHelperTests<SqliteFileBackend>;

public sealed class LockHelperTests_Postgres : LockHelperTests<PostgresBackend>;

/// <summary>The lock helpers (waiting, auto-extend, HandleLost) over Database-scope locks: a SQLite file, or PostgreSQL.</summary>
public abstract class LockHelperTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    private readonly TBackend _backend = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private IPersistenceAdapter _adapter = null!;

    public async ValueTask InitializeAsync() => _adapter = await _backend.OpenAsync(lockScope: LockScope.Database, time: _time);

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Waiting_ReturnsNullWhenTheWaitRunsOut()
    {
        await using var held = await _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), "other");
        Assert.NotNull(held);

        var waiting = _adapter.Locks.AcquireAsync("report", new LockOptions { Ttl = TimeSpan.FromMinutes(1), Wait = TimeSpan.FromSeconds(2), TimeProvider = _time }).AsTask();
        await WaitUntilPolledAsync(waiting);
        for (var i = 0; i < 40 && !waiting.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Waiting_GetsTheLockOnceItIsReleased()
    {
        var held = await _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), "other");
        var waiting = _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), wait: TimeSpan.FromSeconds(30)).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);

        await held!.ReleaseAsync();

        // The wait polls on the adapter's clock (one clock for every lease decision): move it on until the poll comes.
        for (var i = 0; i < 200 && !waiting.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var handle = await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.NotNull(handle);
        Assert.True(handle.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task CancellationMidWait_EndsTheWait()
    {
        await using var held = await _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), "other");
        using var cts = new CancellationTokenSource();
        var waiting = _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan, cts.Token).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AutoExtend_KeepsTheLockAlivePastSeveralTtls()
    {
        var ttl = TimeSpan.FromSeconds(3);
        await using var handle = await _adapter.Locks.AcquireAsync("job", new LockOptions { Ttl = ttl, AutoExtend = true, TimeProvider = _time });
        Assert.NotNull(handle);

        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));

            // A renewal falls due every second (a third of the TTL); on a server it is a round trip, and fake time must
            // not run ahead of it, or the lock would expire in fake time while its renewal is still on the wire. The
            // handle skips a tick while it is still processing the previous renewal's reply, so wait for that too.
            if (i % 2 == 1)
            {
                await UntilAsync(
                    async () => (await _adapter.Locks.GetInfoAsync("job"))?.ExpiresAt == _time.GetUtcNow() + ttl && !IsRenewing(handle),
                    "the renewal landed");
            }
        }

        Assert.False(handle.HandleLost.IsCancellationRequested);
        Assert.True(await handle.IsValidAsync());
        var info = await _adapter.Locks.GetInfoAsync("job");
        Assert.Equal(handle.Owner, info!.Owner);
        Assert.True(info.ExpiresAt > _time.GetUtcNow());
        Assert.Null(await _adapter.Locks.AcquireAsync("job", ttl, "intruder"));
    }

    [Fact]
    public async Task AutoExtend_FiresHandleLost_AfterAForceReleaseBySomeoneElse()
    {
        var ttl = TimeSpan.FromSeconds(3);
        await using var handle = await _adapter.Locks.AcquireAsync("job", new LockOptions { Ttl = ttl, AutoExtend = true, TimeProvider = _time });
        var lost = handle!.HandleLost;

        await _adapter.Locks.ForceReleaseAsync("job");
        var thief = await _adapter.Locks.AcquireAsync("job", ttl, "thief");
        Assert.NotNull(thief);
        _time.Advance(TimeSpan.FromSeconds(1));

        await WhenCancelledAsync(lost);
        Assert.True(lost.IsCancellationRequested, "HandleLost must fire when a renewal finds the lock taken over.");
        Assert.Equal("thief", (await _adapter.Locks.GetInfoAsync("job"))!.Owner);
    }

    [Fact]
    public async Task WithoutRenewal_HandleLostFiresWhenTheLockExpires()
    {
        var handle = await _adapter.Locks.AcquireAsync("job", TimeSpan.FromSeconds(2));
        var lost = handle!.HandleLost;
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(lost.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await WhenCancelledAsync(lost);
        Assert.True(lost.IsCancellationRequested);
        Assert.False(await handle.ExtendAsync(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task AReentrantAcquire_KeepsTheFirstHandleAlive()
    {
        var first = await _adapter.Locks.AcquireAsync("job", TimeSpan.FromSeconds(2), "me");
        var lost = first!.HandleLost;
        var second = await _adapter.Locks.AcquireAsync("job", TimeSpan.FromSeconds(10), "me");
        Assert.Equal(first.FencingToken, second!.FencingToken);

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(lost.IsCancellationRequested, "The same owner renewed the lock; the first handle still holds it.");
        Assert.True(await first.IsValidAsync());

        _time.Advance(TimeSpan.FromSeconds(5));
        await WhenCancelledAsync(lost);
        Assert.True(lost.IsCancellationRequested);
    }

    [Fact]
    public async Task DisposingAnAutoExtendedHandle_ReleasesItAndStopsRenewing()
    {
        var handle = await _adapter.Locks.AcquireAsync("job", new LockOptions { Ttl = TimeSpan.FromSeconds(3), AutoExtend = true, TimeProvider = _time });
        await handle!.DisposeAsync();
        Assert.True(handle.HandleLost.IsCancellationRequested);
        Assert.Null(await _adapter.Locks.GetInfoAsync("job"));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await _adapter.Locks.GetInfoAsync("job"));
    }

    [Fact]
    public async Task WithoutAClockOfTheirOwn_TheLockHelpersAndTheBreaker_UseTheAdaptersClock()
    {
        // One clock: no TimeProvider in the options, so renewals and the reset timeout follow the adapter's (fake) clock.
        var ttl = TimeSpan.FromSeconds(3);
        await using var handle = await _adapter.Locks.AcquireAsync("job", new LockOptions { Ttl = ttl, AutoExtend = true });
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await UntilAsync(
                async () => (await _adapter.Locks.GetInfoAsync("job"))?.ExpiresAt == _time.GetUtcNow() + ttl && !IsRenewing(handle!),
                "the renewal on the adapter's clock landed");
        }

        Assert.False(handle!.HandleLost.IsCancellationRequested);

        var breaker = new CircuitBreaker(_adapter.CircuitBreakers, "upstream", new CircuitBreakerOptions { FailureThreshold = 1, ResetTimeout = TimeSpan.FromMinutes(5) });
        await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<int>(_ => throw new TimeoutException()));
        Assert.Equal(CircuitState.Open, await breaker.GetStateAsync());
        var open = await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(_ => ValueTask.FromResult(1)));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), open.RetryAt);
        Assert.Equal(TimeSpan.FromMinutes(5), open.RetryAfter);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(CircuitState.HalfOpen, await breaker.GetStateAsync());
    }

    [Fact]
    public async Task HelpersWithoutATtl_UseTheProvidersDefault()
    {
        await using var handle = await _adapter.Locks.AcquireAsync("job", new LockOptions { TimeProvider = _time });
        var info = await _adapter.Locks.GetInfoAsync("job");
        Assert.Equal(_time.GetUtcNow() + _adapter.Locks.DefaultTtl, info!.ExpiresAt);
    }

    // A handle confirms with the store before it declares the lock lost (another handle of its owner may have renewed
    // it): on a server backend that is a round trip after the expiry or failed renewal, so the event can come later
    // than the Advance that caused it. Bounded, so a handle that never fires still fails the test.
    private static async Task WhenCancelledAsync(CancellationToken token)
    {
        var fired = new TaskCompletionSource();
        await using (token.Register(fired.SetResult))
        {
            await fired.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
    }

    private static bool IsRenewing(ILockHandle handle) => Assert.IsType<Lease>(handle).IsRenewing;

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 6000; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"Waited 30 s for {what}.");
    }

    private static async Task WaitUntilPolledAsync(Task task)
    {
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.False(task.IsCompleted);
    }
}
