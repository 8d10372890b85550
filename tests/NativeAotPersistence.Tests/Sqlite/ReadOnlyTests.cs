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
