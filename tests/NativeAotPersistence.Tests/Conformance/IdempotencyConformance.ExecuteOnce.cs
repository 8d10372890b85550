using System.Collections.Concurrent;
using System.Text.Json;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>ExecuteOnce at its edges (under lease loss): one answer for every caller.</summary>
public abstract partial class IdempotencyConformance<TBackend>
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task ExecuteOnce_TwoAdaptersOnOneStore_InOneProcess_RunTheActionOnce(LockScope scope)
    {
        var a = await OpenAsync(lockScope: scope);
        var b = await OpenSecondAsync(lockScope: scope);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = a.Idempotency.ExecuteOnceAsync("k", null, async _ =>
        {
            started.SetResult();
            return await release.Task;
        }, Ct).AsTask();
        await started.Task.WaitAsync(s_guard, Ct);

        // The gate is per store, not per adapter object. Where nothing makes it wait (SQLite and in-memory complete
        // synchronously), a gate of b's own would have run b's action inside this very call.
        var runs = 0;
        var second = b.Idempotency.ExecuteOnceAsync("k", null, _ => ValueTask.FromResult("b" + Interlocked.Increment(ref runs)), Ct).AsTask();
        Assert.Equal(0, Volatile.Read(ref runs));
        Assert.False(second.IsCompleted);

        release.SetResult("a");
        Assert.Equal("a", await first.WaitAsync(s_guard, Ct));
        Assert.Equal("a", await second.WaitAsync(s_guard, Ct));
        Assert.Equal(0, runs);
    }

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

    [Fact]
    public async Task PruneAndTheAmortizedSweep_NeverTouchAnotherPrefixsRecords()
    {
        var a = await OpenAsync("A");
        var b = await OpenSecondAsync("a");
        for (var i = 0; i < 10; i++)
        {
            await b.Idempotency.SetAsync("b" + i, i, TimeSpan.FromMilliseconds(1), Ct);
        }

        Advance(10);

        // a writes enough expiring records for its amortized sweep to run several times, then prunes.
        for (var i = 0; i < 200; i++)
        {
            await a.Idempotency.SetAsync("a" + i, i, TimeSpan.FromMilliseconds(1), Ct);
            Advance(1);
        }

        var pruned = await a.PruneAsync(Ct);
        Assert.True(pruned.Idempotency > 0);
        var stored = await Backend.StoredKeysAsync(a, "go_goscope_idempotency");
        Assert.DoesNotContain(stored, k => k.StartsWith("Aidempotency:", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "aidempotency:b" + i).Order(StringComparer.Ordinal), stored);
        Assert.Equal(10, (await b.PruneAsync(Ct)).Idempotency);
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
