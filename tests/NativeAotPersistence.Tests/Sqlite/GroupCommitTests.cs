using System.Text.Json;

namespace NativeAotPersistence.Tests.Sqlite;

public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqliteAdapter _adapter = null!;

    public async ValueTask InitializeAsync() =>
        _adapter = await SqliteAdapter.OpenAsync(_dir.File("group.db"), new PersistenceAdapterOptions { LockScope = LockScope.Database });

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Holds the writer so that writes issued meanwhile queue up and commit as one group.</summary>
    private async Task<T> WhileWriterHeld<T>(Func<T> issue)
    {
        var gate = _adapter.Pool.Writer.Gate;
        await gate.WaitAsync(TestContext.Current.CancellationToken);
        T issued;
        try
        {
            issued = issue();
        }
        finally
        {
            gate.Release();
        }

        return issued;
    }

    [Fact]
    public async Task QueuedWrites_CommitTogether_AndEachCallerCompletesAfterTheCommit()
    {
        var writes = await WhileWriterHeld(() => Enumerable.Range(0, 50)
            .Select(i => _adapter.Cache.SetAsync("key" + i, i).AsTask())
            .ToArray());

        Assert.All(writes, w => Assert.False(w.IsCompleted));
        await Task.WhenAll(writes);

        using var raw = new RawSqlite(_dir.File("group.db"));
        Assert.Equal(50, raw.Count("SELECT count(*) FROM go_goscope_cache"));
    }

    [Fact]
    public async Task AFailingWrite_FailsOnlyItsOwnCaller()
    {
        var poisonous = new PoisonPayload();
        var writes = await WhileWriterHeld(() => Enumerable.Range(0, 20)
            .Select(i => _adapter.Cache.SetAsync("key" + i, i == 7 ? "poison" : "ok" + i, null, poisonous).AsTask())
            .ToArray());

        await Assert.ThrowsAsync<InvalidOperationException>(() => writes[7]);
        for (var i = 0; i < 20; i++)
        {
            if (i != 7)
            {
                await writes[i];
                Assert.Equal("ok" + i, await _adapter.Cache.GetAsync<string>("key" + i));
            }
        }

        Assert.False(await _adapter.Cache.HasAsync("key7"));
    }

    [Fact]
    public async Task AFailingWrite_RerunsItsGroupWithoutRepeatingOrReorderingItsNeighbors()
    {
        // The group first runs without savepoints; write 20 fails after writes 1-19 ran, so the transaction rolls back
        // and the group runs again with a savepoint per write: every neighbor must count once, in order.
        var poisonous = new PoisonPayload();
        var writes = await WhileWriterHeld(() => Enumerable.Range(1, 30)
            .Select(i => i % 3 == 0
                ? (Task)_adapter.CircuitBreakers.RecordFailureAsync("neighbors", 1000).AsTask()
                : _adapter.Cache.SetAsync("last", i == 20 ? "poison" : "v" + i, null, poisonous).AsTask())
            .ToArray());

        await Assert.ThrowsAsync<InvalidOperationException>(() => writes[19]);
        for (var i = 0; i < writes.Length; i++)
        {
            if (i != 19)
            {
                await writes[i];
            }
        }

        Assert.Equal(10, (await _adapter.CircuitBreakers.GetStateAsync("neighbors"))!.FailureCount);
        Assert.Equal("v29", await _adapter.Cache.GetAsync<string>("last", poisonous));
    }

    [Fact]
    public async Task WritesToOneKey_KeepTheirOrder()
    {
        var writes = await WhileWriterHeld(() => Enumerable.Range(1, 100)
            .Select(i => _adapter.Cache.SetAsync("counter", i).AsTask())
            .ToArray());
        await Task.WhenAll(writes);
        Assert.Equal(100, await _adapter.Cache.GetAsync<int>("counter"));
    }

    [Fact]
    public async Task AtomicAndTransactionalWrites_WorkInsideAGroup()
    {
        var (failures, locks) = await WhileWriterHeld(() => (
            Enumerable.Range(0, 40).Select(_ => _adapter.CircuitBreakers.RecordFailureAsync("shared", 1000).AsTask()).ToArray(),
            Enumerable.Range(0, 5).Select(i => _adapter.Locks.AcquireAsync("lock" + (i % 2), TimeSpan.FromMinutes(1), "owner" + i).AsTask()).ToArray()));

        var counts = await Task.WhenAll(failures);
        Assert.Equal(Enumerable.Range(1, 40), counts.Order());
        var handles = await Task.WhenAll(locks);
        Assert.Equal(2, handles.Count(h => h is not null));
        Assert.Equal(40, (await _adapter.CircuitBreakers.GetStateAsync("shared"))!.FailureCount);
    }

    [Fact]
    public async Task AQueuedWriteCancelledBeforeItRuns_IsNotStored()
    {
        using var cts = new CancellationTokenSource();
        var write = await WhileWriterHeld(() =>
        {
            var task = _adapter.Cache.SetAsync("k", "v", null, cts.Token).AsTask();
            cts.Cancel();
            return task;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.False(await _adapter.Cache.HasAsync("k"));
    }

    [Fact]
    public async Task ManyConcurrentWriters_LoseNothing()
    {
        var writers = Enumerable.Range(0, 32).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await _adapter.Cache.SetAsync($"t{t}:{i}", i);
                await _adapter.CircuitBreakers.RecordFailureAsync("total", int.MaxValue);
            }
        }));
        await Task.WhenAll(writers);

        Assert.Equal(6400, (await _adapter.CircuitBreakers.GetStateAsync("total"))!.FailureCount);
        Assert.Equal(6400, (await _adapter.Cache.KeysAsync()).Count);
    }

    [Fact]
    public async Task CallersWritingAgainWhenAcknowledged_FormTheNextGroupWhole()
    {
        // A caller's continuation runs on the drainer as it is acknowledged: the writes it issues queue behind it and
        // commit together as the next group, rather than trickling in as the thread pool gets to each caller.
        var groupCommit = _adapter.Pool.GroupCommit;
        groupCommit.RescueAfter = TimeSpan.FromMinutes(1);
        var fanOut = new TaskCompletionSource<(Task[] Writes, int CompletedAtIssue)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = await WhileWriterHeld(() =>
        {
            WhenAcknowledged(_adapter.Cache.SetAsync("first", 0), () =>
            {
                var writes = Enumerable.Range(0, 8).Select(i => (Task)_adapter.Cache.SetAsync("next" + i, i).AsTask()).ToArray();
                fanOut.SetResult((writes, writes.Count(w => w.IsCompleted)));
            });
            return groupCommit.TransactionsCommitted;
        });

        var (next, completedAtIssue) = await fanOut.Task.WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
        await Task.WhenAll(next).WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);

        Assert.Equal(0, completedAtIssue);
        Assert.Equal(before + 2, groupCommit.TransactionsCommitted);
        Assert.Equal(8, (await _adapter.Cache.KeysAsync("next*")).Count);
    }

    [Fact]
    public async Task ACallerWhoseContinuationBlocks_HoldsUpNeitherTheOtherCallersNorLaterWrites()
    {
        using var release = new ManualResetEventSlim();
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var others = await WhileWriterHeld(() =>
        {
            WhenAcknowledged(_adapter.Cache.SetAsync("blocker", 0), () =>
            {
                blocking.SetResult();
                release.Wait();
            });
            return Enumerable.Range(0, 20).Select(i => _adapter.Cache.SetAsync("key" + i, i).AsTask()).ToArray();
        });

        try
        {
            await blocking.Task.WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
            await Task.WhenAll(others).WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
            await _adapter.Cache.SetAsync("later", 1).AsTask().WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
            Assert.False(release.IsSet);
        }
        finally
        {
            release.Set();
        }

        Assert.Equal(22, (await _adapter.Cache.KeysAsync()).Count);
    }

    [Fact]
    public async Task ACallerThatWaitsSynchronouslyForAnotherWrite_DoesNotDeadlock()
    {
        // Sync over async inside an acknowledged caller's continuation: that continuation runs on the drainer, so the
        // inner write commits only because a new drainer takes the queue over.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await WhileWriterHeld(() =>
        {
            WhenAcknowledged(_adapter.Cache.SetAsync("outer", 0), () =>
            {
                _adapter.Cache.SetAsync("inner", 1).AsTask().Wait();
                done.SetResult();
            });
            return 0;
        });

        await done.Task.WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
        Assert.Equal(1, await _adapter.Cache.GetAsync<int>("inner"));
    }

    [Fact]
    public async Task AWriteThatFoundTheDatabaseBusy_IsNotOvertakenByALaterWrite()
    {
        // The first write finds another connection writing and must wait; the second is issued once the database is
        // free. Had the first retried on its own, the second would commit first and the key would end at 1.
        using var raw = new RawSqlite(_dir.File("group.db"));
        raw.Exec("BEGIN IMMEDIATE");
        var first = _adapter.Cache.SetAsync("order", 1).AsTask();
        raw.Exec("COMMIT");
        var second = _adapter.Cache.SetAsync("order", 2).AsTask();

        await Task.WhenAll(first, second).WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
        Assert.Equal(2, await _adapter.Cache.GetAsync<int>("order"));
    }

    /// <summary>
    /// Runs <paramref name="then"/> as the write's continuation, the way code after an <c>await</c> (without a
    /// synchronization context) runs: inline on whichever thread completes the write.
    /// </summary>
    private static void WhenAcknowledged(ValueTask write, Action then)
    {
        var awaiter = write.ConfigureAwait(false).GetAwaiter();
        awaiter.OnCompleted(() =>
        {
            awaiter.GetResult();
            then();
        });
    }

    /// <summary>Turns a hang into a failure; far beyond any wait these tests expect.</summary>
    private static readonly TimeSpan DeadlockGuard = TimeSpan.FromSeconds(30);

    private sealed class PoisonPayload : PayloadTypeInfo<string>
    {
        public override void Write(Utf8JsonWriter writer, string value)
        {
            if (value == "poison")
            {
                throw new InvalidOperationException("cannot serialize poison");
            }

            writer.WriteStringValue(value);
        }

        public override string Read(ref Utf8JsonReader reader) => reader.GetString()!;
    }
}
