using System.Diagnostics;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Issue 9, test 3: another process holds the write lock (BEGIN IMMEDIATE with a row written) while this one writes.
/// The in-process versions with a second connection are in Sqlite/BusyAndConcurrencyTests.
/// </summary>
public class BusyDatabaseTests
{
    private static readonly TimeSpan s_hostTimeout = TimeSpan.FromSeconds(90);

    private static async Task<HostProcess> HoldWriteLockAsync(string db, int maxMs)
    {
        var holder = HostProcess.Start("hold-write", db, maxMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await holder.WaitForLineAsync("HELD", s_hostTimeout);
        }
        catch
        {
            holder.Dispose();
            throw;
        }

        return holder;
    }

    private static async Task ReleaseAsync(HostProcess holder)
    {
        await holder.SendAsync("release");
        await holder.WaitForLineAsync("RELEASED", s_hostTimeout);
        Assert.Equal(0, await holder.WaitForExitAsync(s_hostTimeout));
    }

    [Fact]
    public async Task WritesWaitAsynchronously_WhileAnotherProcessHoldsTheWriteLockFor2s_AndOtherWorkProgresses()
    {
        using var dir = new TempDirectory();
        var db = dir.File("busy.db");
        await using var adapter = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        await adapter.Cache.SetAsync("before", "v");
        using var holder = await HoldWriteLockAsync(db, 60_000);

        // 64 writes (more than the thread pool has threads here) wait; a ticker on the thread pool must keep running.
        var writes = Enumerable.Range(0, 64).Select(i => adapter.CircuitBreakers.RecordFailureAsync("k", 1000).AsTask()).ToArray();
        var ticks = 0;
        using var stop = new CancellationTokenSource();
        var ticker = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(5, CancellationToken.None);
                Interlocked.Increment(ref ticks);
            }
        }, CancellationToken.None);

        await Task.Delay(2000, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(writes, w => w.IsCompleted);
        var ticksWhileWaiting = Volatile.Read(ref ticks);
        Assert.True(ticksWhileWaiting >= 10, $"The thread pool made only {ticksWhileWaiting} ticks while the writes waited.");

        // Reads do not wait for the other process's write (WAL).
        Assert.Equal("v", await adapter.Cache.GetAsync<string>("before"));

        await ReleaseAsync(holder);
        var counts = await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await ticker;
        Assert.Equal(Enumerable.Range(1, 64), counts.Order());
        TestContext.Current.TestOutputHelper?.WriteLine($"64 writes waited 2 s for another process; {ticksWhileWaiting} ticker ticks meanwhile; all 64 committed after.");
    }

    [Fact]
    public async Task ACancelledToken_EndsTheWaitForAnotherProcessPromptly_AndNothingIsStored()
    {
        using var dir = new TempDirectory();
        var db = dir.File("busy.db");
        await using var adapter = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        using var holder = await HoldWriteLockAsync(db, 60_000);

        // One write alone (the busy retry loop) and four queued together (the group-commit queue).
        using var cts = new CancellationTokenSource();
        var alone = adapter.Cache.SetAsync("alone", "v", cancellationToken: cts.Token).AsTask();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var queued = Enumerable.Range(0, 4).Select(i => adapter.Cache.SetAsync("queued" + i, "v", cancellationToken: cts.Token).AsTask()).ToArray();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(alone.IsCompleted);

        var stopwatch = Stopwatch.StartNew();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => alone);
        foreach (var write in queued)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        }

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"Cancellation took {stopwatch.Elapsed}.");

        await ReleaseAsync(holder);
        await adapter.Cache.SetAsync("after", "v");
        Assert.Equal(["after"], await adapter.Cache.KeysAsync());
    }

    [Fact]
    public async Task PastTheBusyBudget_EachWaitingWriteFailsWithKindBusy_AndTheAdapterStaysUsable()
    {
        using var dir = new TempDirectory();
        var db = dir.File("busy.db");
        await using var adapter = await SqliteAdapter.OpenAsync(db, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMilliseconds(500) });
        using var holder = await HoldWriteLockAsync(db, 60_000);

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await adapter.CircuitBreakers.RecordFailureAsync("k", 3));
        Assert.Equal(PersistenceErrorKind.Busy, error.Kind);
        Assert.Equal("circuit.record_failure", error.Operation);
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
        Assert.Contains(db, error.Message, StringComparison.Ordinal);

        var queued = Enumerable.Range(0, 8).Select(i => adapter.Cache.SetAsync("k" + i, i).AsTask()).ToArray();
        foreach (var write in queued)
        {
            var e = await Assert.ThrowsAsync<PersistenceException>(() => write);
            Assert.Equal(PersistenceErrorKind.Busy, e.Kind);
            Assert.Contains("busy", e.Message, StringComparison.Ordinal);
        }

        await ReleaseAsync(holder);
        Assert.Equal(1, await adapter.CircuitBreakers.RecordFailureAsync("k", 3));
        Assert.Empty(await adapter.Cache.KeysAsync());
    }
}
