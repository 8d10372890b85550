using NativeAotPersistence.Tests.Sqlite;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Issue 9, test 4: files that are not databases, damaged, read-only, full, from a newer version, incomplete, or deleted
/// or replaced while open. Earlier, narrower versions live in Sqlite/LifecycleTests (text file, newer schema, empty file
/// with CreateTables=false), Sqlite/BrokenFileTests (page 1 overwritten, max_page_count) and Sqlite/ReadOnlyTests.
/// </summary>
public class BrokenFilesTests
{
    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    private static async Task<string> CreatePopulatedAsync(TempDirectory dir, string name, int keys = 300)
    {
        var path = dir.File(name);
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        for (var i = 0; i < keys; i++)
        {
            await adapter.Cache.SetAsync("key" + i, new string((char)('a' + (i % 26)), 200));
            await adapter.CircuitBreakers.RecordFailureAsync("circuit" + (i % 10), 5);
        }

        return path;
    }

    /// <summary>Runs <paramref name="action"/>; true if it worked, false if it failed with a clear error naming the file.</summary>
    private static async Task<bool> WorksOrFailsClearly(string path, Func<Task> action, string what)
    {
        try
        {
            await action();
            return true;
        }
        catch (PersistenceException e)
        {
            Assert.True(
                e.Kind is PersistenceErrorKind.Corrupt or PersistenceErrorKind.NotADatabase or PersistenceErrorKind.Io or PersistenceErrorKind.PayloadFormat,
                $"{what}: unexpected kind {e.Kind}: {e.Message}");
            Assert.Contains(e is PayloadFormatException ? "key" : path, e.Message, StringComparison.Ordinal);
            return false;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task GarbageOverARandomPage_IsFoundOnFirstUseOfThatPage_AsAClearErrorNamingThePath_NeverACrash(int seed)
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, $"garbage{seed}.db");
        var random = new Random(seed);
        var length = new FileInfo(path).Length;
        var pages = (int)(length / 4096);
        var page = random.Next(1, pages); // 0-based: page 1 and up (page 0 holds the header and the schema, see Sqlite/BrokenFileTests)
        var garbage = new byte[random.Next(2) == 0 ? 4096 : random.Next(16, 4096)];
        random.NextBytes(garbage);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = ((long)page * 4096) + random.Next(0, 4096 - garbage.Length + 1);
            await file.WriteAsync(garbage, TestContext.Current.CancellationToken);
        }

        var failures = 0;
        SqliteAdapter? adapter = null;
        if (await WorksOrFailsClearly(path, async () => adapter = await SqliteAdapter.OpenAsync(path), "open"))
        {
            await using (adapter!)
            {
                for (var i = 0; i < 300; i++)
                {
                    var expected = new string((char)('a' + (i % 26)), 200);
                    if (!await WorksOrFailsClearly(path, async () => Assert.Equal(expected, await adapter!.Cache.GetAsync<string>("key" + i)), "get"))
                    {
                        failures++;
                    }
                }

                for (var i = 0; i < 10; i++)
                {
                    if (!await WorksOrFailsClearly(path, async () => await adapter!.CircuitBreakers.GetStateAsync("circuit" + i), "circuit"))
                    {
                        failures++;
                    }
                }

                // Writes into the damaged tree fail the same clear way (or land in an undamaged part).
                for (var i = 0; i < 20; i++)
                {
                    if (!await WorksOrFailsClearly(path, async () => await adapter!.Cache.SetAsync("key" + (i * 15), "new"), "set"))
                    {
                        failures++;
                    }
                }
            }
        }
        else
        {
            failures++;
        }

        using var raw = new RawSqlite(path);
        var integrity = raw.Scalar("PRAGMA integrity_check");
        Report($"seed {seed}: {garbage.Length} garbage bytes on page {page + 1} of {pages}: {failures} operations failed clearly; integrity_check: {integrity?.Split('\n')[0]}");
        Assert.True(failures > 0 || integrity != "ok" || garbage.Length < 4096,
            "A whole page of garbage went unnoticed by every read and by integrity_check.");
    }

    [Fact]
    public async Task ATruncatedFile_FailsClearly_NamingThePath()
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, "truncated.db");
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length / 2);
        }

        var failures = 0;
        SqliteAdapter? adapter = null;
        if (await WorksOrFailsClearly(path, async () => adapter = await SqliteAdapter.OpenAsync(path), "open"))
        {
            await using (adapter!)
            {
                for (var i = 0; i < 300; i++)
                {
                    if (!await WorksOrFailsClearly(path, async () => await adapter!.Cache.GetAsync<string>("key" + i), "get"))
                    {
                        failures++;
                    }
                }
            }
        }
        else
        {
            failures++;
        }

        Assert.True(failures > 0);
    }

    public static TheoryData<string> ReadOnlyLayouts => ["journal-file-0444", "wal-file-0444-writable-dir", "wal-dir-not-writable"];

    [Theory]
    [MemberData(nameof(ReadOnlyLayouts))]
    public async Task ReadOnly_AsAnUnprivilegedProcess_ReadsWork_AndEveryProvidersWriteFailsReadOnlyNamingThePath(string layout)
    {
        Assert.SkipUnless(ChildProcess.CanDropPrivileges, "Needs root and setpriv to run the check as an unprivileged user (root ignores file permissions).");
        using var dir = new TempDirectory();
        var path = dir.File("ro.db");
        if (layout.StartsWith("journal", StringComparison.Ordinal))
        {
            // A rollback-journal database (as a borrowed handle leaves it).
            using var raw = new RawSqlite(path);
            await using var adapter = new SqliteAdapter(raw.Handle);
            await adapter.ConnectAsync();
            await adapter.Cache.SetAsync("k", "v");
        }
        else
        {
            await using var adapter = await SqliteAdapter.OpenAsync(path);
            await adapter.Cache.SetAsync("k", "v");
        }

        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        switch (layout)
        {
            case "journal-file-0444":
                File.SetUnixFileMode(path, readable);
                File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
                break;
            case "wal-file-0444-writable-dir":
                File.SetUnixFileMode(path, readable);
                File.SetUnixFileMode(dir.Path, (UnixFileMode)0x3FF); // 0777: the -wal and -shm files can be created
                break;
            default:
                File.SetUnixFileMode(path, readable | UnixFileMode.UserWrite);
                File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);
                break;
        }

        var (exit, lines, stderr) = await ChildProcess.RunTestHostAsync(["write-all", path], asNobody: true);

        Assert.True(exit == 0, stderr);
        Report($"{layout}: {string.Join(" | ", lines)}");
        if (layout == "wal-dir-not-writable")
        {
            // Even opening fails: WAL must create the -shm file beside the database.
            var line = Assert.Single(lines);
            Assert.StartsWith("ERR ReadOnly ", line, StringComparison.Ordinal);
            Assert.Contains("WAL", line, StringComparison.Ordinal);
            Assert.Contains(dir.Path, line, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(6, lines.Length);
        Assert.Equal("OK v", lines[0]);
        foreach (var line in lines[1..])
        {
            Assert.StartsWith("ERR ReadOnly ", line, StringComparison.Ordinal);
            Assert.Contains(path, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AFullDatabase_FailsEveryProvidersWrite_AndEachWriteOfAGroupCommitBatch_WithKindFull_KeepingEarlierData()
    {
        using var dir = new TempDirectory();
        using var raw = new RawSqlite(dir.File("full.db"));
        await using var adapter = new SqliteAdapter(raw.Handle, new PersistenceAdapterOptions { LockScope = LockScope.Database });
        await adapter.ConnectAsync();
        await adapter.Cache.SetAsync("early", "kept");
        await adapter.CircuitBreakers.RecordFailureAsync("early", 5);

        // Fill the file up to a limit of a few pages more than it has.
        raw.Exec($"PRAGMA max_page_count = {raw.Count("PRAGMA page_count") + 3}");
        var big = new string('x', 64 * 1024);
        var filler = 0;
        var full = await Assert.ThrowsAsync<PersistenceException>(async () =>
        {
            for (; filler < 100; filler++)
            {
                await adapter.Cache.SetAsync("filler" + filler, big);
            }
        });
        Assert.Equal(PersistenceErrorKind.Full, full.Kind);

        async Task ExpectFull(string operation, Func<Task> write)
        {
            var e = await Assert.ThrowsAsync<PersistenceException>(write);
            Assert.Equal(PersistenceErrorKind.Full, e.Kind);
            Assert.Equal(operation, e.Operation);
            Assert.Contains("full", e.Message, StringComparison.Ordinal);
            Assert.Contains(adapter.DataSource, e.Message, StringComparison.Ordinal);
        }

        await ExpectFull("cache.set", async () => await adapter.Cache.SetAsync("k", big));
        await ExpectFull("checkpoint.save", async () => await adapter.Checkpoints.SaveAsync(new Checkpoint<string>("c", "t", 1, DateTimeOffset.UtcNow, 5, big)));
        await ExpectFull("idempotency.set", async () => await adapter.Idempotency.SetAsync("k", big));

        // Many writers at once: they are committed as groups; each that does not fit fails alone with Full.
        var batch = Enumerable.Range(0, 24).Select(i => adapter.Cache.SetAsync("batch" + i, big).AsTask()).ToArray();
        foreach (var write in batch)
        {
            var e = await Assert.ThrowsAsync<PersistenceException>(() => write);
            Assert.Equal(PersistenceErrorKind.Full, e.Kind);
        }

        // A failure is reported through the returned task, never thrown from the call (it used to be, on the fast path).
        var direct = adapter.Cache.SetAsync("direct", big);
        Assert.True(direct.IsFaulted);
        await Assert.ThrowsAsync<PersistenceException>(async () => await direct);

        Assert.Equal("kept", await adapter.Cache.GetAsync<string>("early"));
        Assert.Equal(1, (await adapter.CircuitBreakers.GetStateAsync("early"))!.FailureCount);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));

        // Room again: writes work and nothing of the failed ones was stored.
        raw.Exec("PRAGMA max_page_count = 1073741823");
        await adapter.Cache.SetAsync("k", big);
        Assert.Equal(big, await adapter.Cache.GetAsync<string>("k"));
        Assert.Empty(await adapter.Cache.KeysAsync("batch*"));
        Assert.Equal(filler, (await adapter.Cache.KeysAsync("filler*")).Count);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
    }

    [Fact]
    public async Task CreateTablesFalse_WithOneTableDropped_NamesThatTable_AndChangesNothing()
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, "partial.db", keys: 10);
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("DROP TABLE go_goscope_locks; PRAGMA wal_checkpoint(TRUNCATE);");
        }

        var before = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false }));

        Assert.Equal(PersistenceErrorKind.SchemaMissing, error.Kind);
        Assert.Contains("go_goscope_locks", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("go_goscope_cache", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));

        // With CreateTables (the default) the missing table is added and the data is still there.
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        Assert.NotNull(await adapter.Locks.AcquireAsync("k", TimeSpan.FromSeconds(5)));
        Assert.Equal(10, (await adapter.Cache.KeysAsync()).Count);
    }

    [Fact]
    public async Task ANewerSchemaVersion_IsRefusedByAnotherProcessToo_AndItsDataIsUntouched()
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, "future.db", keys: 10);
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("UPDATE go_goscope_meta SET value = '7' WHERE key = 'schema_version'; PRAGMA wal_checkpoint(TRUNCATE);");
        }

        var before = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        var (exit, lines, stderr) = await ChildProcess.RunTestHostAsync(["get-then-set", path, "key1", "x"]);

        Assert.True(exit == 0, stderr);
        var line = Assert.Single(lines);
        Assert.StartsWith("ERR SchemaTooNew ", line, StringComparison.Ordinal);
        Assert.Contains("version 7", line, StringComparison.Ordinal);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
    }

    // Every call either works or fails with a typed PersistenceException; anything else (a crash, a raw SQLite error) fails the test.
    private static async Task<string> Outcome(string what, Func<Task> action)
    {
        try
        {
            await action();
            return what + ": ok";
        }
        catch (PersistenceException e)
        {
            Assert.Contains("/", e.Message, StringComparison.Ordinal);
            return $"{what}: {e.Kind} ({e.NativeErrorCode})";
        }
    }

    [Fact]
    public async Task TheFileDeletedWhileOpen_TheAdapterKeepsItsOpenFile_NeverCrashes_AndAfterItClosesAFreshOpenStartsEmpty()
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, "deleted.db", keys: 10);
        var outcomes = new List<string>();
        await using (var adapter = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(10, (await adapter.Cache.KeysAsync()).Count);
            File.Delete(path);

            // SQLite keeps the open (now unlinked) file: writes and reads go on there, or fail with a typed error
            // (seen: SQLITE_IOERR_FSTAT, 1802, from a reader connection that checks the file).
            for (var i = 0; i < 5; i++)
            {
                outcomes.Add(await Outcome("set", async () => await adapter.Cache.SetAsync("after-delete" + i, "v")));
                outcomes.Add(await Outcome("get", async () => await adapter.Cache.GetAsync<string>("key" + i)));
                outcomes.Add(await Outcome("failure", async () => await adapter.CircuitBreakers.RecordFailureAsync("c", 5)));
            }
        }

        // Closing deleted the -wal and -shm files with it; the path now opens as a new, empty database.
        Assert.False(File.Exists(path));
        await using (var fresh = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Empty(await fresh.Cache.KeysAsync());
            await fresh.Cache.SetAsync("fresh", "f");
        }

        using var raw = new RawSqlite(path);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        Report("deleted while open: " + string.Join(", ", outcomes.Distinct()));
    }

    [Fact]
    public async Task TheFileReplacedWhileOpen_TheAdapterKeepsTheOldFile_NeverCrashes_AndTheStaleWalIsTheHazard()
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, "replaced.db", keys: 10);
        var replacement = dir.File("replacement.db");
        await using (var other = await SqliteAdapter.OpenAsync(replacement))
        {
            await other.Cache.SetAsync("from-the-new-file", "n");
        }

        var outcomes = new List<string>();
        await using (var adapter = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(10, (await adapter.Cache.KeysAsync()).Count);
            File.Move(replacement, path, overwrite: true);

            // The adapter still has the old file open, and the -wal beside the path is still the old file's.
            for (var i = 0; i < 5; i++)
            {
                outcomes.Add(await Outcome("set", async () => await adapter.Cache.SetAsync("after-replace" + i, "v")));
                outcomes.Add(await Outcome("keys", async () => Assert.Equal(11 + i, (await adapter.Cache.KeysAsync()).Count)));
            }
        }

        // SQLite does not checkpoint or delete the WAL of a file that moved (SQLITE_FCNTL_HAS_MOVED), so the old file's
        // WAL is left beside the new file, and the next open replays it over the new file's pages. That is SQLite's
        // "mispaired WAL" hazard; docs/reliability.md says to replace a database only together with its -wal and -shm.
        Assert.True(File.Exists(path + "-wal"));
        await using (var fresh = await SqliteAdapter.OpenAsync(path))
        {
            outcomes.Add(await Outcome("fresh open, stale WAL", async () => outcomes.Add("it sees " + string.Join(",", await fresh.Cache.KeysAsync()))));
        }

        Report("replaced while open: " + string.Join(", ", outcomes.Distinct()));
    }

    [Fact]
    public async Task TheFileReplacedWithItsWalAndShm_WhileAnAdapterHasItOpen_AFreshOpenSeesOnlyTheNewFile_AndTheOldAdapterKeepsWorking()
    {
        using var dir = new TempDirectory();
        var path = await CreatePopulatedAsync(dir, "restored.db", keys: 10);
        var replacement = dir.File("backup.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        await adapter.BackupAsync(replacement);
        await adapter.Cache.SetAsync("after-backup", "v");

        // The restore procedure: the backup over the path, and the old file's -wal and -shm removed with it.
        File.Move(replacement, path, overwrite: true);
        File.Delete(path + "-wal");
        File.Delete(path + "-shm");

        await using (var fresh = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(10, (await fresh.Cache.KeysAsync()).Count);
            Assert.False(await fresh.Cache.HasAsync("after-backup"));
            await fresh.Cache.SetAsync("restored", "r");
        }

        // The old adapter goes on with the file it has open (unlinked now), or fails with a typed error; never a crash.
        var outcomes = new List<string>
        {
            await Outcome("old set", async () => await adapter.Cache.SetAsync("old", "o")),
            await Outcome("old get", async () => await adapter.Cache.GetAsync<string>("after-backup")),
        };
        await adapter.DisposeAsync();

        await using (var again = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal("r", await again.Cache.GetAsync<string>("restored"));
            Assert.False(await again.Cache.HasAsync("old"));
        }

        using var raw = new RawSqlite(path);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        Report("restored under an open adapter: " + string.Join(", ", outcomes));
    }
}
