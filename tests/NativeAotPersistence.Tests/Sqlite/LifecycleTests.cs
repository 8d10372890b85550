using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sqlite;

public class LifecycleTests
{
    [Fact]
    public async Task BorrowedHandle_StaysOpenAndUsable_AfterDisposeAsync()
    {
        using var dir = new TempDirectory();
        using var raw = new RawSqlite(dir.File("borrowed.db"));
        var adapter = new SqliteAdapter(raw.Handle, new PersistenceAdapterOptions { KeyPrefix = "app:" });
        Assert.False(adapter.IsConnected);

        await adapter.ConnectAsync();
        await adapter.Cache.SetAsync("k", "v");
        await adapter.DisposeAsync();

        Assert.False(adapter.IsConnected);
        Assert.Equal("\"v\"", raw.Scalar("SELECT value FROM go_goscope_cache WHERE key = 'app:cache:k'"));
        raw.Exec("CREATE TABLE still_usable(x)");
    }

    [Fact]
    public async Task BorrowedHandle_CanReconnect_AfterDisconnect()
    {
        using var raw = new RawSqlite(":memory:");
        await using var adapter = new SqliteAdapter(raw.Handle);
        await adapter.ConnectAsync();
        await adapter.Cache.SetAsync("k", 1);
        await adapter.DisconnectAsync();
        await adapter.ConnectAsync();
        Assert.Equal(1, await adapter.Cache.GetAsync<int>("k"));
    }

    [Fact]
    public async Task OpenAsync_OwnsTheFile_AndDisposeClosesIt()
    {
        using var dir = new TempDirectory();
        var path = dir.File("owned.db");
        var adapter = await SqliteAdapter.OpenAsync(path);
        Assert.True(adapter.IsConnected);
        Assert.Equal(Path.GetFullPath(path), adapter.DataSource);
        await adapter.Cache.SetAsync("k", "v");
        await adapter.DisposeAsync();
        Assert.False(adapter.IsConnected);

        // Closed cleanly: the WAL was checkpointed into the file and another open sees the data.
        await using var again = await SqliteAdapter.OpenAsync(path);
        Assert.Equal("v", await again.Cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task OpenAsync_UsesWalMode()
    {
        using var dir = new TempDirectory();
        var path = dir.File("wal.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        using var raw = new RawSqlite(path);
        Assert.Equal("wal", raw.Scalar("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Schema_IsCreatedOnce_AndSecondConnectIsANoOp()
    {
        using var dir = new TempDirectory();
        var path = dir.File("schema.db");
        await using (var first = await SqliteAdapter.OpenAsync(path))
        {
            await first.ConnectAsync();
            await first.Cache.SetAsync("k", "v");
        }

        using var raw = new RawSqlite(path);
        var objects = raw.Count("SELECT count(*) FROM sqlite_master");
        var changes = raw.Count("PRAGMA data_version");
        Assert.Equal(9, raw.Count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'go\\_goscope\\_%' ESCAPE '\\'"));
        Assert.Equal(SchemaRules.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));

        await using (var second = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal("v", await second.Cache.GetAsync<string>("k"));
        }

        Assert.Equal(objects, raw.Count("SELECT count(*) FROM sqlite_master"));
        Assert.Equal(SchemaRules.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
        _ = changes;
    }

    [Fact]
    public async Task NewerSchema_IsRefused_AndTheFileIsByteIdentical()
    {
        using var dir = new TempDirectory();
        var path = dir.File("future.db");
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("CREATE TABLE go_goscope_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO go_goscope_meta VALUES ('schema_version', '99');");
        }

        var before = await File.ReadAllBytesAsync(path);
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(path));

        Assert.Equal(PersistenceErrorKind.SchemaTooNew, error.Kind);
        Assert.Contains("99", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(path), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task CreateTablesFalse_OnAnEmptyFile_NamesTheMissingTables()
    {
        using var dir = new TempDirectory();
        var path = dir.File("empty.db");
        var error = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false }));

        Assert.Equal(PersistenceErrorKind.SchemaMissing, error.Kind);
        foreach (var table in new[] { "go_goscope_meta", "go_goscope_cache", "go_goscope_circuit", "go_goscope_checkpoints", "go_goscope_idempotency", "go_goscope_locks", "go_goscope_semaphores", "go_goscope_ratelimits" })
        {
            Assert.Contains(table, error.Message, StringComparison.Ordinal);
        }

        using var raw = new RawSqlite(path);
        Assert.Equal(0, raw.Count("SELECT count(*) FROM sqlite_master"));
    }

    [Fact]
    public async Task CreateTablesFalse_OnACompleteSchema_Connects()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ready.db");
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false });
        Assert.True(adapter.IsConnected);
    }

    [Fact]
    public async Task UseBeforeConnect_AndAfterDisconnect_IsInvalidOperation()
    {
        using var raw = new RawSqlite(":memory:");
        var adapter = new SqliteAdapter(raw.Handle);

        var before = await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.Cache.GetAsync<string>("k"));
        Assert.Contains("ConnectAsync", before.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.CircuitBreakers.RecordFailureAsync("k", 3));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.Locks.AcquireAsync("k", TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.PruneAsync());

        await adapter.ConnectAsync();
        await adapter.Cache.SetAsync("k", "v");
        await adapter.DisconnectAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.Cache.SetAsync("k", "v"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.Checkpoints.ListAsync("t"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await adapter.Idempotency.GetAsync<string>("k"));
    }

    [Fact]
    public async Task ATextFileNamedDb_IsNotADatabase_AndTheMessageNamesThePath()
    {
        using var dir = new TempDirectory();
        var path = dir.File("notes.db");
        await File.WriteAllTextAsync(path, "These are my notes, not a database. " + new string('x', 4096));

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(path));

        Assert.Equal(PersistenceErrorKind.NotADatabase, error.Kind);
        Assert.Contains(Path.GetFullPath(path), error.Message, StringComparison.Ordinal);
        Assert.Equal(Path.GetFullPath(path), error.DataSource);
        Assert.Equal("connect", error.Operation);
        Assert.Equal(SQLITE_NOTADB, error.NativeErrorCode! & 0xFF);
    }

    [Fact]
    public async Task AMissingDirectory_CannotOpen_WithThePath()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "no-such-dir", "x.db");
        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(path));
        Assert.Equal(PersistenceErrorKind.CannotOpen, error.Kind);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACreatedFile_IsOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        using var dir = new TempDirectory();
        var path = dir.File("private.db");
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        await adapter.Cache.SetAsync("k", "v");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + "-wal"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + "-shm"));
    }

    [Fact]
    public async Task ADanglingSymlinkAtThePath_IsFollowed_AndItsTargetCreatedOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("data"));
        var target = dir.File("data/real.db");
        var link = dir.File("app.db");
        File.CreateSymbolicLink(link, "data/real.db");
        Assert.False(File.Exists(target));

        await using (var adapter = await SqliteAdapter.OpenAsync(link))
        {
            await adapter.Cache.SetAsync("k", "v");
            foreach (var file in new[] { target, target + "-wal", target + "-shm" })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            // A backup through a dangling link is owner-only too.
            var backupTarget = dir.File("data/copy.db");
            File.CreateSymbolicLink(dir.File("copy-link.db"), backupTarget);
            await adapter.BackupAsync(dir.File("copy-link.db"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backupTarget));
        }

        Assert.NotNull(new FileInfo(link).LinkTarget);
        await using var again = await SqliteAdapter.OpenAsync(target);
        Assert.Equal("v", await again.Cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task ASymlinkLoopAtThePath_IsAClearError_AndNothingIsCreated()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix links only.");
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(dir.File("a.db"), dir.File("b.db"));
        File.CreateSymbolicLink(dir.File("b.db"), dir.File("a.db"));

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await SqliteAdapter.OpenAsync(dir.File("a.db")));
        Assert.Equal(PersistenceErrorKind.CannotOpen, error.Kind);
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFileSystemEntries(dir.Path).Length);
    }

    [Fact]
    public async Task AnExistingFile_KeepsItsMode()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        using var dir = new TempDirectory();
        var path = dir.File("shared.db");
        await File.WriteAllBytesAsync(path, []);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await using var adapter = await SqliteAdapter.OpenAsync(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
    }
}
