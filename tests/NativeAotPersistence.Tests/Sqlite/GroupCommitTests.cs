using System.Text.Json;
using NativeAotPersistence.Sqlite;
using NativeAotPersistence.Tests.Conformance;

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
        // Checked while the writer is still held: once it is released the committing thread may finish them any moment.
        var (writes, completedWhileHeld) = await WhileWriterHeld(() =>
        {
            var issued = Enumerable.Range(0, 50).Select(i => _adapter.Cache.SetAsync("key" + i, i).AsTask()).ToArray();
            return (issued, issued.Count(w => w.IsCompleted));
        });

        Assert.Equal(0, completedWhileHeld);
        await Task.WhenAll(writes);

        using var raw = new RawSqlite(_dir.File("group.db"));
        Assert.Equal(50, raw.Count("SELECT count(*) FROM go_goscope_cache"));
    }

    [Fact]
    public async Task ACommittingThreadThatCannotStart_FailsItsWriteTyped_AndTheNextWriteStartsOne()
    {
        // A group commit of its own on the adapter's writer, whose first thread start fails as Thread.Start does when no
        // thread can be had.
        var starts = 0;
        using var groupCommit = new GroupCommit(_adapter.Pool.Writer, TimeSpan.FromSeconds(30), g =>
        {
            if (Interlocked.Increment(ref starts) == 1)
            {
#pragma warning disable CA2201 // What Thread.Start throws when no thread can be had.
                throw new OutOfMemoryException("no thread to be had");
#pragma warning restore CA2201
            }

            GroupCommit.StartCommittingThread(g);
        });

        var write = await WhileWriterHeld(() => Insert(groupCommit, "first").AsTask());
        var error = await Assert.ThrowsAsync<PersistenceException>(() => write);
        Assert.Equal(PersistenceErrorKind.Other, error.Kind);
        Assert.IsType<OutOfMemoryException>(error.InnerException);
        Assert.False(await _adapter.Cache.HasAsync("first"));

        // Nothing is left waiting, and the queue works again: the next queued writes start a thread and commit.
        var later = await WhileWriterHeld(() => Enumerable.Range(0, 10).Select(i => Insert(groupCommit, "key" + i).AsTask()).ToArray());
        await Task.WhenAll(later).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        Assert.Equal(2, starts);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "key" + i).Order(StringComparer.Ordinal), await _adapter.Cache.KeysAsync());

        static unsafe ValueTask<int> Insert(GroupCommit groupCommit, string key) =>
            groupCommit.Enqueue("test.insert", key, &InsertBody, CancellationToken.None);

        static int InsertBody(SqliteConnection c, string key)
        {
            using var statement = c.Statement(SqliteCacheSql.Set, "test.insert");
            statement.BindText(1, "cache:" + key);
            statement.BindText(2, "1"u8);
            statement.BindInt64(3, null);
            statement.BindInt64(4, 0);
            return statement.Step();
        }
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
    public async Task AWriteThatFailsAfterItChangedSomething_RollsBackAlone_AndItsNeighborsCommit()
    {
        // Every 32nd write of a provider also reclaims expired rows. A trigger makes that reclaim fail on one row, after
        // the write's own upsert went through: the write changed something, then failed. Its group must roll back
        // exactly that write (to its savepoint) and commit every neighbor.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await using var adapter = await SqliteAdapter.OpenAsync(_dir.File("sweep.db"), new PersistenceAdapterOptions { TimeProvider = time });
        await adapter.Cache.SetAsync("keep-me", 0, TimeSpan.FromMilliseconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        await SqliteBackend.ExecuteAsync(adapter, """
            CREATE TRIGGER refuse_reclaim BEFORE DELETE ON go_goscope_cache WHEN old.key LIKE '%keep-me' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END
            """);

        // Writes 2 to 32 of this provider, the last of which sweeps; the writer is held, so they form one group.
        var gate = adapter.Pool.Writer.Gate;
        await gate.WaitAsync(TestContext.Current.CancellationToken);
        Task[] writes;
        try
        {
            writes = Enumerable.Range(2, 31).Select(i => adapter.Cache.SetAsync("w" + i, i, TimeSpan.FromMinutes(1)).AsTask()).ToArray();
        }
        finally
        {
            gate.Release();
        }

        var failure = await Assert.ThrowsAsync<PersistenceException>(() => writes[^1]);
        Assert.Equal(PersistenceErrorKind.Constraint, failure.Kind);
        await Task.WhenAll(writes[..^1]);

        // The failing write's own upsert is gone with it; the 30 before it committed; the row it could not reclaim stays.
        Assert.False(await adapter.Cache.HasAsync("w32"));
        Assert.Equal(Enumerable.Range(2, 30).Select(i => "w" + i).Order(StringComparer.Ordinal), await adapter.Cache.KeysAsync("w*"));
        Assert.Equal(1, await SqliteBackend.ExecuteAsync(adapter, "SELECT count(*) FROM go_goscope_cache WHERE key = 'cache:keep-me'"));
    }

    [Fact]
    public async Task NoCallersContinuation_EverRunsOnTheCommittingThread()
    {
        // 32 writers in a loop keep the writer contended, so most writes queue and are committed by the committing thread;
        // each records the thread its code resumes on after every awaited write.
        // Every committing thread (of any adapter) has the same name.
        var resumedOn = new System.Collections.Concurrent.ConcurrentBag<string?>();
        var queued = 0;
        var writers = Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var write = _adapter.Cache.SetAsync($"w{w}", i);
                if (!write.IsCompleted)
                {
                    Interlocked.Increment(ref queued);
                }

                await write.ConfigureAwait(false);
                resumedOn.Add(Thread.CurrentThread.Name);
            }
        })).ToArray();

        // And continuations attached the way code after an await runs (inline on whichever thread completes the write).
        var inline = new System.Collections.Concurrent.ConcurrentBag<string?>();
        var attached = await WhileWriterHeld(() => Enumerable.Range(0, 20).Select(i =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            WhenAcknowledged(_adapter.Cache.SetAsync("inline" + i, i), () =>
            {
                inline.Add(Thread.CurrentThread.Name);
                done.SetResult();
            });
            return done.Task;
        }).ToArray());

        await Task.WhenAll(writers).WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
        await Task.WhenAll(attached).WaitAsync(DeadlockGuard, TestContext.Current.CancellationToken);
        // Writes that did not complete at once were queued: the committing thread committed them.
        Assert.NotEqual(0, queued);
        Assert.Equal(3200, resumedOn.Count);
        Assert.DoesNotContain(GroupCommit.ThreadName, resumedOn);
        Assert.Equal(20, inline.Count);
        Assert.DoesNotContain(GroupCommit.ThreadName, inline);
    }

    [Fact]
    public async Task AStarvedThreadPool_StillGetsEveryWriteAcknowledged()
    {
        // In a child process (the pool's limits are process-wide): at most 4 pool threads, and 16 pool tasks that each wait
        // synchronously on their writes, so every pool thread blocks on a write whose acknowledgment needs... a thread.
        var (exit, lines, error) = await ChildProcess.RunTestHostAsync(["starved-pool", _dir.File("starved.db"), "16", "50"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, error);
        Assert.Equal("OK 800 writes, 800 rows", Assert.Single(lines));
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
        // Sync over async inside an acknowledged caller's continuation: it runs on a thread-pool thread, and the inner write
        // is committed by the committing thread, which no continuation ever holds.
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
    /// synchronization context) runs: inline on whichever thread completes the write (a thread-pool thread, never the
    /// committing one).
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
