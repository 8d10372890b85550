using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sqlite;

public class ReadOnlyTests
{
    [Fact]
    public async Task AHandleOpenedReadOnly_ReadsWork_AndTheFirstWriteIsAClearReadOnlyError()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ro.db");
        await using (var writer = await SqliteAdapter.OpenAsync(path))
        {
            await writer.Cache.SetAsync("k", "v");
        }

        using var raw = new RawSqlite(path, SQLITE_OPEN_READONLY);
        await using var adapter = new SqliteAdapter(raw.Handle);
        await adapter.ConnectAsync();

        Assert.Equal("v", await adapter.Cache.GetAsync<string>("k"));
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await adapter.Cache.SetAsync("k", "w"));
        Assert.Equal(PersistenceErrorKind.ReadOnly, error.Kind);
        Assert.Equal("cache.set", error.Operation);
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal("v", await adapter.Cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task AFileTheProcessMayNotWrite_ReadsWork_AndWritesFailReadOnly()
    {
        Assert.SkipUnless(ChildProcess.CanDropPrivileges, "Needs root and setpriv to run the check as an unprivileged user (root ignores file permissions).");
        using var dir = new TempDirectory();
        var path = dir.File("protected.db");

        // A rollback-journal database (as a borrowed handle leaves it), readable by everyone, writable by root only.
        using (var raw = new RawSqlite(path))
        {
            await using var adapter = new SqliteAdapter(raw.Handle);
            await adapter.ConnectAsync();
            await adapter.Cache.SetAsync("k", "v");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755: nobody may not create files here

        var (exit, lines, stderr) = await ChildProcess.RunTestHostAsync(["get-then-set", path, "k", "w"], asNobody: true);

        Assert.True(exit == 0, stderr);
        Assert.Equal(2, lines.Length);
        Assert.Equal("OK v", lines[0]);
        Assert.StartsWith("ERR ReadOnly ", lines[1], StringComparison.Ordinal);
        Assert.Contains(path, lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWalDatabaseInADirectoryTheProcessMayNotWrite_SaysWhy()
    {
        Assert.SkipUnless(ChildProcess.CanDropPrivileges, "Needs root and setpriv to run the check as an unprivileged user (root ignores file permissions).");
        using var dir = new TempDirectory();
        var path = dir.File("wal.db");
        await using (var adapter = await SqliteAdapter.OpenAsync(path))
        {
            await adapter.Cache.SetAsync("k", "v");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);

        var (exit, lines, stderr) = await ChildProcess.RunTestHostAsync(["get-then-set", path, "k", "w"], asNobody: true);

        Assert.True(exit == 0, stderr);
        var line = Assert.Single(lines);
        Assert.StartsWith("ERR ReadOnly ", line, StringComparison.Ordinal);
        Assert.Contains("WAL", line, StringComparison.Ordinal);
        Assert.Contains(dir.Path, line, StringComparison.Ordinal);
    }
}

/// <summary><see cref="SqliteOpenOptions.ReadOnly"/>: reads only, nothing created, migrated or changed.</summary>
public class ReadOnlyOpenTests
{
    private static readonly SqliteOpenOptions ReadOnly = new() { ReadOnly = true };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReadOnlyOpen_ReadsTheStore_RefusesEveryWriteTyped_AndLeavesTheFileByteIdentical()
    {
        using var dir = new TempDirectory();
        var path = dir.File("store.db");
        await using (var writer = await SqliteAdapter.OpenAsync(path))
        {
            await writer.Cache.SetAsync("k", "v", cancellationToken: Ct);
        }

        var before = await File.ReadAllBytesAsync(path, Ct);
        await using (var p = await SqliteAdapter.OpenAsync(path, null, ReadOnly, Ct))
        {
            Assert.Equal("v", await p.Cache.GetAsync<string>("k", Ct));
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Null(await p.Locks.GetInfoAsync("job", Ct));

            var set = await Assert.ThrowsAsync<PersistenceException>(async () => await p.Cache.SetAsync("k", "w", cancellationToken: Ct));
            Assert.Equal((PersistenceErrorKind.ReadOnly, "cache.set"), (set.Kind, set.Operation));
            Assert.Contains("opened read-only (SqliteOpenOptions.ReadOnly)", set.Message, StringComparison.Ordinal);
            var acquire = await Assert.ThrowsAsync<PersistenceException>(async () => await p.Locks.AcquireAsync("job", TimeSpan.FromSeconds(5), cancellationToken: Ct));
            Assert.Equal(PersistenceErrorKind.ReadOnly, acquire.Kind);
            Assert.Equal("v", await p.Cache.GetAsync<string>("k", Ct));
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));
    }

    [Fact]
    public async Task AReadOnlyOpen_NeverCreatesAFile_NorASchema_NorMigratesOne()
    {
        using var dir = new TempDirectory();
        var missing = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(dir.File("none.db"), null, ReadOnly, Ct));
        Assert.Equal(PersistenceErrorKind.CannotOpen, missing.Kind);
        Assert.Contains("does not exist; a read-only open never creates it", missing.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("none.db")));

        // An empty file (no tables) and a version 1 file: refused, and left as they were.
        var empty = dir.File("empty.db");
        using (var raw = new RawSqlite(empty))
        {
            raw.Exec("CREATE TABLE unrelated(x)");
        }

        var v1 = dir.File("v1.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema-v1.db"), v1);
        foreach (var path in new[] { empty, v1 })
        {
            var before = await File.ReadAllBytesAsync(path, Ct);
            var e = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(path, null, ReadOnly, Ct));
            Assert.Equal(PersistenceErrorKind.SchemaMissing, e.Kind);
            Assert.Contains("and it was opened read-only. Open it once for writing to create or migrate it.", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));
        }

        Assert.Throws<ArgumentException>(() => SqliteAdapter.Create(":memory:", null, ReadOnly));
        Assert.Throws<ArgumentException>(() => SqliteAdapter.Create(dir.File("x.db"), null, new SqliteOpenOptions { ReadOnly = true, Exclusive = true }));
    }

    [Fact]
    public async Task APathThatIsADirectory_SaysSo_ReadOnlyOrNot()
    {
        using var dir = new TempDirectory();
        foreach (var options in new[] { ReadOnly, new SqliteOpenOptions() })
        {
            var e = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(dir.Path, null, options, Ct));
            Assert.Equal(PersistenceErrorKind.CannotOpen, e.Kind);
            Assert.Contains("is a directory, not a database file", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("check that its directory exists", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AsAnUnprivilegedUser_AReadOnlyOpen_ReadsAWalStoreInADirectoryItMayNotWrite()
    {
        Assert.SkipUnless(ChildProcess.CanDropPrivileges, "Needs root and setpriv to run the check as an unprivileged user (root ignores file permissions).");
        using var dir = new TempDirectory();
        var path = dir.File("wal.db");
        await using (var adapter = await SqliteAdapter.OpenAsync(path))
        {
            await adapter.Cache.SetAsync("k", "v", cancellationToken: Ct);
        }

        // Checkpointed and closed: no -wal or -shm beside it, and nobody may create them. SQLite cannot read it so (it
        // needs a wal-index): a typed error that says what can be done instead.
        Assert.False(File.Exists(path + "-wal"));
        File.SetUnixFileMode(path, (UnixFileMode)0x1A4); // 0644
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
        var (exit, lines, stderr) = await ChildProcess.RunTestHostAsync(["read-only", path, "k"], asNobody: true);
        Assert.True(exit == 0, stderr);
        var refused = Assert.Single(lines);
        Assert.StartsWith("ERR ReadOnly ", refused, StringComparison.Ordinal);
        Assert.Contains("can read it while those files exist and are readable (a writer has it open), or read a copy", refused, StringComparison.Ordinal);

        // A writer has it open (its -wal and -shm exist, readable by all): the reader sees what the writer committed.
        await using (var writer = await SqliteAdapter.OpenAsync(path))
        {
            await writer.Cache.SetAsync("k", "newer", cancellationToken: Ct);
            Assert.True(File.Exists(path + "-shm"));
            File.SetUnixFileMode(path + "-shm", (UnixFileMode)0x1A4);
            File.SetUnixFileMode(path + "-wal", (UnixFileMode)0x1A4);
            (exit, lines, stderr) = await ChildProcess.RunTestHostAsync(["read-only", path, "k"], asNobody: true);
            Assert.True(exit == 0, stderr);
            TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', lines));
            Assert.Equal(3, lines.Length);
            Assert.Equal("OK newer", lines[0]);
            Assert.StartsWith("ERR ReadOnly ", lines[1], StringComparison.Ordinal);
            Assert.Equal($"OK {SchemaRules.CurrentVersion}", lines[2]);
        }

        // Without the read-only option, the same user gets the same typed answer (it may not write the file).
        (exit, lines, _) = await ChildProcess.RunTestHostAsync(["get-then-set", path, "k", "w"], asNobody: true);
        Assert.StartsWith("ERR ReadOnly ", Assert.Single(lines), StringComparison.Ordinal);
    }
}
