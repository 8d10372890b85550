using System.Collections.Concurrent;
using System.Text.Json;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>ExecuteOnce at its edges (under lease loss): one answer for every caller.</summary>
public abstract partial class IdempotencyConformance<TBackend>
{
    protected static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ExecuteOnce_AResultStoredWhileTheActionRan_WinsOverTheActionsOwn()
    {
        // Another process (here: a plain Set) stored the result first: the action's own is not stored, and its caller
        // returns the stored one, so every caller has one answer.
        var p = await OpenAsync();
        var result = await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMinutes(1), async _ =>
        {
            await p.Idempotency.SetAsync("k", "theirs", TimeSpan.FromMinutes(1), Ct);
            return "mine";
        }, Ct);

        Assert.Equal("theirs", result);
        Assert.Equal("theirs", (await p.Idempotency.GetAsync<string>("k", Ct))!.Value);
    }

    [Fact]
    public async Task ExecuteOnce_ALostLease_CancelsTheAction_ReportsIt_AndItsCallerReturnsTheStoredResult()
    {
        var key = "charge-" + Guid.NewGuid().ToString("N");
        var p = await Backend.OpenAsync(new PersistenceAdapterOptions { TimeProvider = Time, DefaultLockTtl = TimeSpan.FromSeconds(3), BusyTimeout = s_guard });
        var losses = new ConcurrentQueue<PersistenceLockLost>();
        using var subscription = PersistenceEvents.Subscribe(new LossObserver(ExecuteOnce.LockKeyPrefix + key, losses));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var running = p.Idempotency.ExecuteOnceAsync(key, null, async ct =>
        {
            if (Interlocked.Increment(ref runs) > 1)
            {
                return "again";
            }

            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }

            return "mine";
        }, Ct).AsTask();
        await started.Task.WaitAsync(s_guard, Ct);

        // Another process took the lease over (an operator forced it, or it expired for that process) and stored its
        // answer. The renewal, due a third of the TTL after the grant, finds the lease gone.
        await p.Locks.ForceReleaseAsync(ExecuteOnce.LockKeyPrefix + key, Ct);
        await p.Idempotency.SetAsync(key, "theirs", cancellationToken: Ct);
        Advance(1000);

        await cancelled.Task.WaitAsync(s_guard, Ct);
        Assert.Equal("theirs", await running.WaitAsync(s_guard, Ct));
        Assert.Equal(1, runs);
        Assert.Equal("theirs", (await p.Idempotency.GetAsync<string>(key, Ct))!.Value);
        Assert.Contains(losses, l => l.Reason == LockLossReason.NotHeld);
    }

    [Fact]
    public async Task ExecuteOnce_AnActionThatLosesItsLeaseEveryTime_FailsTypedAfterThreeRuns_AndStoresNothing()
    {
        var key = "stalls-" + Guid.NewGuid().ToString("N");
        var p = await Backend.OpenAsync(new PersistenceAdapterOptions { TimeProvider = Time, DefaultLockTtl = TimeSpan.FromSeconds(3), BusyTimeout = s_guard });
        var runs = 0;
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await p.Idempotency.ExecuteOnceAsync(key, null, async ct =>
        {
            Interlocked.Increment(ref runs);

            // Each run's lease is taken away and its renewal finds it gone, as for a process that keeps stalling.
            await p.Locks.ForceReleaseAsync(ExecuteOnce.LockKeyPrefix + key, Ct);
            Advance(1000);
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        }, Ct).AsTask().WaitAsync(s_guard, Ct));

        Assert.Equal(PersistenceErrorKind.Busy, error.Kind);
        Assert.Contains($"'{key}' lost its lease 3 times", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExecuteOnce.MaxLeaseLosses, runs);
        Assert.Null(await p.Idempotency.GetAsync<string>(key, Ct));
        Assert.Equal("fine", await p.Idempotency.ExecuteOnceAsync(key, null, _ => ValueTask.FromResult("fine"), Ct));
    }

    [Fact]
    public async Task ExecuteOnce_AResultTooDeepToStore_FailsItsCaller_AndDoesNotPoisonTheKey()
    {
        var p = await OpenAsync();
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await p.Idempotency.ExecuteOnceAsync("deep", null, _ => ValueTask.FromResult(Nest.Of(65)), NestInfo.Instance, Ct));
        Assert.IsType<JsonException>(error.InnerException);
        Assert.Contains("'deep'", error.Message, StringComparison.Ordinal);
        Assert.Null(await p.Idempotency.GetAsync("deep", NestInfo.Instance, Ct));
        Assert.Null(await p.Locks.GetInfoAsync(ExecuteOnce.LockKeyPrefix + "deep", Ct));
        Assert.Equal(3, (await p.Idempotency.ExecuteOnceAsync("deep", null, _ => ValueTask.FromResult(Nest.Of(3)), NestInfo.Instance, Ct)).Depth);
    }

    private sealed class LossObserver(string key, ConcurrentQueue<PersistenceLockLost> losses) : IPersistenceEventObserver
    {
        public void OnLockLost(PersistenceLockLost e)
        {
            if (e.Key == key)
            {
                losses.Enqueue(e);
            }
        }
    }
}
