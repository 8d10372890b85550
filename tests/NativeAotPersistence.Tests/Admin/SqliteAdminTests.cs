using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Admin;

public sealed class SqliteAdminTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private SqliteAdapter _adapter = null!;
    private SqliteAdapter _neighbor = null!;

    public async ValueTask InitializeAsync()
    {
        _adapter = await SqliteAdapter.OpenAsync(_dir.File("admin.db"), new PersistenceAdapterOptions { KeyPrefix = "app:", TimeProvider = _time, LockScope = LockScope.Database });
        _neighbor = await SqliteAdapter.OpenAsync(_dir.File("admin.db"), new PersistenceAdapterOptions { KeyPrefix = "other:", TimeProvider = _time, LockScope = LockScope.Database });
        await _neighbor.Cache.SetAsync("noise", 1);
        await _neighbor.CircuitBreakers.RecordFailureAsync("noise", 1);
        await _neighbor.Idempotency.SetAsync("noise", 1);
        await _neighbor.Locks.AcquireAsync("noise", TimeSpan.FromMinutes(1));
    }

    public async ValueTask DisposeAsync()
    {
        await _neighbor.DisposeAsync();
        await _adapter.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Stats_ReportTheFileItsSizeAndPages()
    {
        await _adapter.Cache.SetAsync("a", new string('v', 10_000));

        var stats = await _adapter.Admin.GetStatsAsync();

        // What the backend-independent counts are is AdminConformance's; the file's own figures are SQLite's.
        Assert.Equal(_adapter.DataSource, stats.DataSource);
        Assert.True(stats.SizeOnDisk >= 10_000);
        Assert.True(stats.PageSize > 0 && stats.PageCount > 0);
        Assert.Equal(new RowCounts(1, 0), stats.Cache);
    }

    [Fact]
    public async Task Backup_WritesAConsistentCopyWhileTheAdapterKeepsWorking()
    {
        for (var i = 0; i < 2000; i++)
        {
            await _adapter.Cache.SetAsync("key" + i, new string('v', 100));
        }

        var copy = _dir.File("copy.db");
        var backup = _adapter.BackupAsync(copy).AsTask();
        await _adapter.Cache.SetAsync("during", "backup");
        await backup;

        await using var restored = await SqliteAdapter.OpenAsync(copy, new PersistenceAdapterOptions { KeyPrefix = "app:" });
        Assert.Equal(new string('v', 100), await restored.Cache.GetAsync<string>("key1999"));
        Assert.Equal(2000, (await restored.Cache.KeysAsync("key*")).Count);
        using var raw = new Sqlite.RawSqlite(copy);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
    }
}
