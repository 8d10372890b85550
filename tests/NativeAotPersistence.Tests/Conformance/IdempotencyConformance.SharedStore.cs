namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the idempotency contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class IdempotencySharedStoreConformance<TBackend> : IdempotencyConformance<TBackend>
    where TBackend : Backend, new()
{
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

    [Fact]
    public async Task Records_DoNotLeakAcrossPrefixes()
    {
        var a = await OpenAsync("A");
        var b = await OpenSecondAsync("a");
        await a.Idempotency.SetAsync("k", 1, cancellationToken: Ct);
        Assert.Null(await b.Idempotency.GetAsync<int>("k", Ct));
        Assert.False(await b.Idempotency.DeleteAsync("k", Ct));
        Assert.Equal(2, await b.Idempotency.ExecuteOnceAsync("k", null, _ => ValueTask.FromResult(2), Ct));
        Assert.Equal(1, (await a.Idempotency.GetAsync<int>("k", Ct))!.Value);
    }
}
