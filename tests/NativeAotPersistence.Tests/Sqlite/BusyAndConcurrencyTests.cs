using System.Diagnostics;

namespace NativeAotPersistence.Tests.Sqlite;

public class BusyAndConcurrencyTests
{
    [Fact]
    public async Task AWriteWaitsForABusyDatabase_AndCancellationEndsTheWaitPromptly()
    {
        using var dir = new TempDirectory();
        var path = dir.File("busy.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        using var other = new RawSqlite(path);
        other.Exec("BEGIN IMMEDIATE");

        using var cts = new CancellationTokenSource();
        var stopwatch = Stopwatch.StartNew();
        var write = adapter.Cache.SetAsync("k", "v", cancellationToken: cts.Token).AsTask();
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(write.IsCompleted, "The write should be waiting for the other connection's transaction.");

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"Cancellation took {stopwatch.Elapsed}.");

        other.Exec("ROLLBACK");
        await adapter.Cache.SetAsync("k", "after");
        Assert.Equal("after", await adapter.Cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task AWriteWaitingForABusyDatabase_CompletesWhenItIsFree()
    {
        using var dir = new TempDirectory();
        var path = dir.File("busy.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        using var other = new RawSqlite(path);
        other.Exec("BEGIN IMMEDIATE");

        var write = adapter.Cache.SetAsync("k", "v").AsTask();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(write.IsCompleted);
        other.Exec("COMMIT");

        await write.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal("v", await adapter.Cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task PastTheBusyTimeout_ItIsAPersistenceExceptionOfKindBusy()
    {
        using var dir = new TempDirectory();
        var path = dir.File("busy.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        using var other = new RawSqlite(path);
        other.Exec("BEGIN IMMEDIATE");

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await adapter.CircuitBreakers.RecordFailureAsync("k", 3));

        Assert.Equal(PersistenceErrorKind.Busy, error.Kind);
        Assert.Equal("circuit.record_failure", error.Operation);
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        other.Exec("ROLLBACK");
    }

    [Fact]
    public async Task ReadsDoNotWaitForAnotherConnectionsWriteTransaction()
    {
        using var dir = new TempDirectory();
        var path = dir.File("wal.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        await adapter.Cache.SetAsync("k", "v");
        using var other = new RawSqlite(path);
        other.Exec("BEGIN IMMEDIATE; INSERT INTO go_goscope_cache(key, value) VALUES ('cache:other', '1');");

        var read = adapter.Cache.GetAsync<string>("k").AsTask();
        Assert.True(read.IsCompletedSuccessfully, "A read must complete inline, without waiting for the writer.");
        Assert.Equal("v", await read);
        other.Exec("ROLLBACK");
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData("file")]
    public async Task AGetThatFails_ReturnsAFaultedTask_NotAThrow_AndFreesItsConnection(string kind)
    {
        // The inline get captures a failure into the task, as every read does (callers that start several operations
        // and await later rely on it), and leaves the connection free: the next get completes at once.
        using var dir = new TempDirectory();
        await using var adapter = await SqliteAdapter.OpenAsync(kind == "file" ? dir.File("fail.db") : ":memory:");
        await adapter.Cache.SetAsync("s", "hello");

        var failed = adapter.Cache.GetAsync<int>("s");

        Assert.True(failed.IsFaulted, "A value that does not parse must fault the returned task, not throw from the call.");
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await failed);
        var next = adapter.Cache.GetAsync<string>("s");
        Assert.True(next.IsCompletedSuccessfully, "The failed get must have released its connection.");
        Assert.Equal("hello", await next);
    }

    [Fact]
    public async Task ACacheGetThatFindsTheFileLocked_WaitsForIt_ThenReadsTheValue()
    {
        // A borrowed handle on a rollback-journal file: a reader there meets SQLITE_BUSY while another connection holds
        // the file's exclusive lock. The get's inline path must hand the read to the waiting path (not answer a miss,
        // not fail), with the connection's gate free again for it.
        using var dir = new TempDirectory();
        var path = dir.File("journal.db");
        using var owner = new RawSqlite(path);
        owner.Exec("PRAGMA journal_mode=DELETE;");
        await using var adapter = new SqliteAdapter(owner.Handle, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        await adapter.ConnectAsync(TestContext.Current.CancellationToken);
        await adapter.Cache.SetAsync("k", "v");
        using var other = new RawSqlite(path);
        other.Exec("BEGIN EXCLUSIVE;");

        var read = adapter.Cache.GetAsync<string>("k").AsTask();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(read.IsCompleted, "The get should wait while another connection holds the file's exclusive lock.");
        other.Exec("COMMIT;");

        Assert.Equal("v", await read.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal("v", await adapter.Cache.GetAsync<string>("k"));
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData("file")]
    public async Task EightThreadsReadingThroughOneAdapter_AllSucceed(string kind)
    {
        using var dir = new TempDirectory();
        await using var adapter = await SqliteAdapter.OpenAsync(kind == "file" ? dir.File("read.db") : ":memory:");
        for (var i = 0; i < 100; i++)
        {
            await adapter.Cache.SetAsync("key" + i, i);
        }

        var readers = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            for (var n = 0; n < 2000; n++)
            {
                var i = random.Next(100);
                Assert.Equal(i, await adapter.Cache.GetAsync<int>("key" + i));
            }
        }));

        await Task.WhenAll(readers);
    }

    [Fact]
    public async Task ExclusiveMode_WorksAndShutsOtherConnectionsOut()
    {
        using var dir = new TempDirectory();
        var path = dir.File("exclusive.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path, null, new SqliteOpenOptions { Exclusive = true });
        await adapter.Cache.SetAsync("k", "v");
        Assert.Equal("v", await adapter.Cache.GetAsync<string>("k"));

        using var other = new RawSqlite(path);
        Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, other.TryExec("SELECT count(*) FROM go_goscope_cache"));
    }
}
