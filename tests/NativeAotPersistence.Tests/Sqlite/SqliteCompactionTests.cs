using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>
/// <see cref="IPersistenceAdmin.CompactAsync"/> on a SQLite file, looked at from outside: the file and its <c>-wal</c>
/// on disk (<c>stat</c>), a second connection that keeps reading an old snapshot or holds the write lock, another adapter
/// writing meanwhile, a read-only adapter, a borrowed handle inside its owner's transaction, cancellation while waiting.
/// What every backend promises is <c>Conformance/CompactionConformance</c>.
/// </summary>
public sealed class SqliteCompactionTests : IDisposable
{
    private static readonly string Value = new('v', 400);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Path => _dir.File("compact.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AFileWhoseRowsWerePruned_ShrinksOnDisk_AndEveryRemainingRowReadsBack()
    {
        await using (var adapter = await OpenAsync())
        {
            await FillAndPruneAsync(adapter, 20_000, keepEvery: 20);
            var before = OnDisk(Path);
            var stats = await adapter.Admin.GetStatsAsync(Ct);
            Assert.True(stats.FreePages > stats.PageCount * 3 / 4, $"{stats.FreePages} free pages of {stats.PageCount}: the prune left little to give back.");

            var result = await adapter.Admin.CompactAsync(Ct);

            Assert.True(result.IsComplete);
            Assert.Equal(before, result.SizeBefore);
            Assert.Equal(OnDisk(Path), result.SizeAfter);
            Assert.Equal(0, Length(Path + "-wal"));
            Assert.True(result.SizeAfter < before / 8, $"{before:N0} bytes before, {result.SizeAfter:N0} after");
            Assert.Equal(before - result.SizeAfter, result.Reclaimed);
            Assert.Equal(0, (await adapter.Admin.GetStatsAsync(Ct)).FreePages);
            await AssertKeptRowsAsync(adapter, 20_000, keepEvery: 20);
            TestContext.Current.TestOutputHelper?.WriteLine($"{before:N0} -> {result.SizeAfter:N0} bytes in {result.Elapsed.TotalMilliseconds:N0} ms");
        }

        // What is on disk is whole: another adapter reads every kept row, and SQLite finds nothing wrong.
        await using (var reopened = await OpenAsync())
        {
            await AssertKeptRowsAsync(reopened, 20_000, keepEvery: 20);
        }

        using var raw = new RawSqlite(Path);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        Assert.Equal(1_000, raw.Count("SELECT count(*) FROM go_goscope_cache"));
    }

    [Fact]
    public async Task WhileAnotherConnectionReadsAnOlderSnapshot_ItWaitsTheBusyTimeout_ThenSaysItIsIncomplete()
    {
        await using var adapter = await OpenAsync(TimeSpan.FromSeconds(1));
        await FillAsync(adapter, 5_000, keepEvery: 10);

        // A reader whose snapshot predates the prune and the VACUUM, held across the whole compaction.
        using var reader = new RawSqlite(Path, SQLITE_OPEN_READONLY);
        reader.Exec("BEGIN");
        Assert.Equal(5_000, reader.Count("SELECT count(*) FROM go_goscope_cache"));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(4_500, (await adapter.PruneAsync(Ct)).Cache);

        var stopwatch = Stopwatch.StartNew();
        var result = await adapter.Admin.CompactAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        stopwatch.Stop();

        // Waited for the reader (nearly all of the 1 s busy timeout: it gives up 100 ms before the pool would), then
        // reported the truth instead of hanging or failing: the data is compacted, the file is not yet.
        Assert.False(result.IsComplete);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(850), TimeSpan.FromSeconds(10));
        Assert.InRange(result.Elapsed, TimeSpan.FromMilliseconds(850), stopwatch.Elapsed);
        Assert.Equal(OnDisk(Path), result.SizeAfter);
        Assert.True(Length(Path + "-wal") > 0);
        Assert.Equal(5_000, reader.Count("SELECT count(*) FROM go_goscope_cache"));
        await AssertKeptRowsAsync(adapter, 5_000, keepEvery: 10);

        // Once the reader is gone, compacting again finishes the job.
        reader.Exec("COMMIT");
        var again = await adapter.Admin.CompactAsync(Ct);
        Assert.True(again.IsComplete);
        Assert.Equal(0, Length(Path + "-wal"));
        Assert.True(again.SizeAfter < result.SizeBefore / 4, $"{result.SizeBefore:N0} bytes before, {again.SizeAfter:N0} after");
        await AssertKeptRowsAsync(adapter, 5_000, keepEvery: 10);
    }

    [Fact]
    public async Task CancelledAfterTheVacuumCommitted_WhileWaitingForAReader_ItReturnsWhatWasDone_NotAnException()
    {
        await using var adapter = await OpenAsync(TimeSpan.FromSeconds(30));
        await FillAsync(adapter, 5_000, keepEvery: 10);
        using var reader = new RawSqlite(Path, SQLITE_OPEN_READONLY);
        reader.Exec("BEGIN");
        Assert.Equal(5_000, reader.Count("SELECT count(*) FROM go_goscope_cache"));
        _time.Advance(TimeSpan.FromMinutes(2));
        await adapter.PruneAsync(Ct);
        var freeBefore = (await adapter.Admin.GetStatsAsync(Ct)).FreePages;
        Assert.True(freeBefore > 0);

        // The checkpoint waits for the reader (up to 30 s); the caller gives up after 300 ms, once the VACUUM committed.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));
        var stopwatch = Stopwatch.StartNew();
        var result = await adapter.Admin.CompactAsync(cancel.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

        // Not an OperationCanceledException saying nothing changed: the store was rewritten, and the result says so.
        Assert.False(result.IsComplete);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        Assert.True(result.SizeBefore > 0);
        Assert.Equal(0, (await adapter.Admin.GetStatsAsync(Ct)).FreePages);
        await AssertKeptRowsAsync(adapter, 5_000, keepEvery: 10);
        reader.Exec("COMMIT");
    }

    [Fact]
    public async Task AReaderThatFinishesWithinTheBusyTimeout_IsWaitedFor_AndTheCompactionCompletes()
    {
        await using var adapter = await OpenAsync(TimeSpan.FromSeconds(20));
        await FillAndPruneAsync(adapter, 5_000, keepEvery: 10);
        using var reader = new RawSqlite(Path, SQLITE_OPEN_READONLY);
        reader.Exec("BEGIN");
        Assert.Equal(500, reader.Count("SELECT count(*) FROM go_goscope_cache"));

        var compaction = adapter.Admin.CompactAsync(Ct).AsTask();
        await Task.Delay(300, Ct);
        Assert.False(compaction.IsCompleted, "The checkpoint should wait for the reader's snapshot.");
        reader.Exec("COMMIT");
        var result = await compaction.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.True(result.IsComplete);
        Assert.InRange(result.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(20));
        Assert.Equal(0, Length(Path + "-wal"));
        Assert.Equal(OnDisk(Path), result.SizeAfter);
        await AssertKeptRowsAsync(adapter, 5_000, keepEvery: 10);
    }

    [Fact]
    public async Task WhileAnotherConnectionHoldsTheWriteLock_ItFailsBusyAfterTheTimeout_HavingChangedNothing()
    {
        await using var adapter = await OpenAsync(TimeSpan.FromMilliseconds(500));
        await FillAndPruneAsync(adapter, 2_000, keepEvery: 10);
        var stats = await adapter.Admin.GetStatsAsync(Ct);
        var before = OnDisk(Path);
        using var writer = new RawSqlite(Path);
        writer.Exec("BEGIN IMMEDIATE");

        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await adapter.Admin.CompactAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));

        Assert.Equal(PersistenceErrorKind.Busy, error.Kind);
        Assert.Equal("admin.compact", error.Operation);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(10));
        writer.Exec("ROLLBACK");
        Assert.Equal(before, OnDisk(Path));
        Assert.Equal(stats.FreePages, (await adapter.Admin.GetStatsAsync(Ct)).FreePages);

        var result = await adapter.Admin.CompactAsync(Ct);
        Assert.True(result.IsComplete);
        Assert.True(result.SizeAfter < before);
        await AssertKeptRowsAsync(adapter, 2_000, keepEvery: 10);
    }

    [Fact]
    public async Task CancelledWhileWaitingForABusyDatabase_ItThrowsPromptly_HavingChangedNothing()
    {
        await using var adapter = await OpenAsync(TimeSpan.FromMinutes(1));
        await FillAndPruneAsync(adapter, 2_000, keepEvery: 10);
        var freePages = (await adapter.Admin.GetStatsAsync(Ct)).FreePages;
        using var writer = new RawSqlite(Path);
        writer.Exec("BEGIN IMMEDIATE");
        using var cts = new CancellationTokenSource();

        var compaction = adapter.Admin.CompactAsync(cts.Token).AsTask();
        await Task.Delay(200, Ct);
        Assert.False(compaction.IsCompleted);
        var stopwatch = Stopwatch.StartNew();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => compaction.WaitAsync(TimeSpan.FromSeconds(30), Ct));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"Cancellation took {stopwatch.Elapsed}.");
        writer.Exec("ROLLBACK");
        Assert.Equal(freePages, (await adapter.Admin.GetStatsAsync(Ct)).FreePages);
        await AssertKeptRowsAsync(adapter, 2_000, keepEvery: 10);
    }

    [Fact]
    public async Task WhileThisAdapterReadsAndWritesAndAnotherOneWrites_EveryWriteIsKept_AndTheCompactionCompletes()
    {
        await using var adapter = await OpenAsync();
        await using var other = await OpenAsync(prefix: "other:");
        await FillAndPruneAsync(adapter, 10_000, keepEvery: 10);

        // The other adapter is another process on the file: its writes wait out the VACUUM's write lock (busy, with
        // backoff). This adapter's own writes queue behind the compaction on its writer connection.
        using var stop = new CancellationTokenSource();
        var othersWrites = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested || n < 200)
            {
                await other.Cache.SetAsync("o" + n, n, cancellationToken: Ct);
                n++;
            }

            return n;
        }, Ct);
        // This adapter's readers keep reading kept rows throughout: never a miss, never an error.
        var reads = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested || n < 200)
            {
                var i = n % 1_000 * 10;
                Assert.Equal(Value + i, await adapter.Cache.GetAsync<string>("k" + i, Ct));
                n++;
            }

            return n;
        }, Ct);
        await Task.Delay(50, Ct);
        var compaction = adapter.Admin.CompactAsync(Ct).AsTask();
        var ownWrites = Enumerable.Range(0, 100).Select(i => adapter.Cache.SetAsync("own" + i, i, cancellationToken: Ct).AsTask()).ToArray();
        var result = await compaction.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await Task.WhenAll(ownWrites).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await stop.CancelAsync();
        var written = await othersWrites.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.True(await reads.WaitAsync(TimeSpan.FromSeconds(60), Ct) >= 200);

        Assert.True(result.IsComplete);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i, await adapter.Cache.GetAsync<int>("own" + i, Ct));
        }

        for (var n = 0; n < written; n++)
        {
            Assert.Equal(n, await other.Cache.GetAsync<int>("o" + n, Ct));
        }

        await AssertKeptRowsAsync(adapter, 10_000, keepEvery: 10, alsoLive: 100);
        using var raw = new RawSqlite(Path);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
    }

    [Fact]
    public async Task OnAReadOnlyAdapter_ItIsRefusedAsReadOnly_HavingChangedNothing()
    {
        // The writer keeps the file open, so the read-only adapter finds its -wal and -shm.
        await using var writer = await OpenAsync();
        await FillAndPruneAsync(writer, 2_000, keepEvery: 10);
        var stats = await writer.Admin.GetStatsAsync(Ct);
        var before = OnDisk(Path);
        await using var readOnly = await SqliteAdapter.OpenAsync(Path, Options(), new SqliteOpenOptions { ReadOnly = true }, Ct);

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await readOnly.Admin.CompactAsync(Ct));

        Assert.Equal(PersistenceErrorKind.ReadOnly, error.Kind);
        Assert.Equal("admin.compact", error.Operation);
        Assert.Equal(before, OnDisk(Path));
        Assert.Equal(stats.FreePages, (await writer.Admin.GetStatsAsync(Ct)).FreePages);
        await AssertKeptRowsAsync(readOnly, 2_000, keepEvery: 10);
    }

    [Fact]
    public async Task OnABorrowedHandleInsideItsOwnersTransaction_ItFails_AndLeavesTheTransactionToItsOwner()
    {
        using var owner = new RawSqlite(Path);
        await using var adapter = new SqliteAdapter(owner.Handle, Options());
        await adapter.ConnectAsync(Ct);
        await adapter.Cache.SetAsync("k", "v", cancellationToken: Ct);
        owner.Exec("BEGIN");

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await adapter.Admin.CompactAsync(Ct));

        Assert.Contains("VACUUM", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sqlite3_get_autocommit(owner.Handle));
        owner.Exec("COMMIT");
        Assert.True((await adapter.Admin.CompactAsync(Ct)).IsComplete);
        Assert.Equal("v", await adapter.Cache.GetAsync<string>("k", Ct));
    }

    [Fact]
    public async Task InExclusiveMode_ItShrinksTheFile()
    {
        await using (var adapter = await SqliteAdapter.OpenAsync(Path, Options(), new SqliteOpenOptions { Exclusive = true }, Ct))
        {
            await FillAndPruneAsync(adapter, 5_000, keepEvery: 10);
            var before = OnDisk(Path);

            var result = await adapter.Admin.CompactAsync(Ct);

            Assert.True(result.IsComplete);
            Assert.Equal(before, result.SizeBefore);
            Assert.True(result.SizeAfter < before / 4, $"{before:N0} bytes before, {result.SizeAfter:N0} after");
            await AssertKeptRowsAsync(adapter, 5_000, keepEvery: 10);
        }

        await using var reopened = await OpenAsync();
        await AssertKeptRowsAsync(reopened, 5_000, keepEvery: 10);
    }

    [Fact]
    public async Task InMemory_ItCompacts_AndReportsNoSizes()
    {
        await using var adapter = await SqliteAdapter.OpenAsync(":memory:", Options(), Ct);
        await FillAndPruneAsync(adapter, 1_000, keepEvery: 10);

        var result = await adapter.Admin.CompactAsync(Ct);

        Assert.True(result.IsComplete);
        Assert.Equal((0, 0), (result.SizeBefore, result.SizeAfter));
        Assert.Equal(0, (await adapter.Admin.GetStatsAsync(Ct)).FreePages);
        await AssertKeptRowsAsync(adapter, 1_000, keepEvery: 10);
    }

    /// <summary>
    /// How long compacting a larger file takes on this machine: a database file of <c>NAP_COMPACT_MB</c> megabytes
    /// (default 8) of 1 KB cache entries, every other one pruned (so every page is half empty), then compacted, with the
    /// file in the page cache. docs/operations.md quotes it for 100 MB.
    /// </summary>
    [Fact]
    public async Task Timing_OfAFileOfSomeMegabytes_HalfOfItPruned()
    {
        var megabytes = int.TryParse(Environment.GetEnvironmentVariable("NAP_COMPACT_MB"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mb) && mb > 0 ? mb : 8;
        await using var adapter = await OpenAsync();
        var value = new string('v', 1_000);
        var entries = 0;
        while (Length(Path) < megabytes * 1_000_000L)
        {
            for (var i = 0; i < 1_000; i++, entries++)
            {
                await adapter.Cache.SetAsync("k" + entries, value, entries % 2 == 0 ? null : TimeSpan.FromMinutes(1), Ct);
            }
        }

        var file = Length(Path);
        _time.Advance(TimeSpan.FromMinutes(2));
        await adapter.PruneAsync(Ct);
        var wal = Length(Path + "-wal");
        var result = await adapter.Admin.CompactAsync(Ct);

        Assert.True(result.IsComplete);
        Assert.True(result.SizeAfter < file);
        Assert.Equal(0, Length(Path + "-wal"));
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"compacted a {file / 1e6:0.0} MB database file (and its {wal / 1e6:0.0} MB WAL after pruning every other of {entries:N0} entries of 1 KB) to {result.SizeAfter / 1e6:0.0} MB in {result.Elapsed.TotalSeconds:0.00} s");
        TestContext.Current.TestOutputHelper?.WriteLine(line);
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static long OnDisk(string path) => Length(path) + Length(path + "-wal");

    private PersistenceAdapterOptions Options(TimeSpan? busyTimeout = null, string prefix = "app:") => new()
    {
        KeyPrefix = prefix,
        TimeProvider = _time,
        BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30),
    };

    private ValueTask<SqliteAdapter> OpenAsync(TimeSpan? busyTimeout = null, string prefix = "app:") =>
        SqliteAdapter.OpenAsync(Path, Options(busyTimeout, prefix), Ct);

    /// <summary>Writes <paramref name="count"/> entries; every <paramref name="keepEvery"/>th never expires, the others do in a minute.</summary>
    private static async Task FillAsync(SqliteAdapter adapter, int count, int keepEvery)
    {
        for (var i = 0; i < count; i++)
        {
            await adapter.Cache.SetAsync("k" + i, Value + i, i % keepEvery == 0 ? null : TimeSpan.FromMinutes(1), Ct);
        }
    }

    private async Task FillAndPruneAsync(SqliteAdapter adapter, int count, int keepEvery)
    {
        await FillAsync(adapter, count, keepEvery);
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(count - (count / keepEvery), (await adapter.PruneAsync(Ct)).Cache);
    }

    private static async Task AssertKeptRowsAsync(SqliteAdapter adapter, int count, int keepEvery, int alsoLive = 0)
    {
        for (var i = 0; i < count; i += keepEvery)
        {
            Assert.Equal(Value + i, await adapter.Cache.GetAsync<string>("k" + i, Ct));
        }

        Assert.Equal((count / keepEvery) + alsoLive, (await adapter.Admin.GetStatsAsync(Ct)).Cache.Live);
    }
}
