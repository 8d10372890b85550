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
    public async Task Stats_CountLiveAndExpiredRowsOfThisPrefixOnly()
    {
        await _adapter.Cache.SetAsync("a", 1, TimeSpan.FromSeconds(1));
        await _adapter.Cache.SetAsync("b", 2);
        await _adapter.Idempotency.SetAsync("x", "r", TimeSpan.FromSeconds(1));
        await _adapter.CircuitBreakers.RecordFailureAsync("payments", 3);
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("t#1", "t", 1, _time.GetUtcNow(), 10, 1));
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("t#2", "t", 2, _time.GetUtcNow(), 20, 2));
        await _adapter.Locks.AcquireAsync("job", TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));

        var stats = await _adapter.Admin.GetStatsAsync();

        Assert.Equal(SchemaRules.CurrentVersion, stats.SchemaVersion);
        Assert.Equal(_adapter.DataSource, stats.DataSource);
        Assert.True(stats.SizeOnDisk > 0);
        Assert.True(stats.PageSize > 0 && stats.PageCount > 0);
        Assert.Equal(new RowCounts(1, 1), stats.Cache);
        Assert.Equal(new RowCounts(0, 1), stats.Idempotency);
        Assert.Equal(new RowCounts(0, 1), stats.Locks);
        Assert.Equal(1, stats.Circuits);
        Assert.Equal(2, stats.Checkpoints);
        Assert.Equal(1, stats.Tasks);

        await _adapter.PruneAsync();
        stats = await _adapter.Admin.GetStatsAsync();
        Assert.Equal(new RowCounts(1, 0), stats.Cache);
        Assert.Equal(new RowCounts(0, 0), stats.Locks);
    }

    [Fact]
    public async Task Lists_ShowCircuitsTasksLocksAndIdempotencyKeys()
    {
        await _adapter.CircuitBreakers.RecordFailureAsync("payments", 1);
        await _adapter.CircuitBreakers.RecordSuccessAsync("email");
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("t#1", "import", 1, _time.GetUtcNow(), 10, 1));
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("t#2", "import", 2, _time.GetUtcNow(), 40, 2, TimeSpan.FromMinutes(3)));
        var handle = await _adapter.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), "me");
        await _adapter.Idempotency.SetAsync("charge:1", "r1", TimeSpan.FromHours(1));
        await _adapter.Idempotency.SetAsync("charge:2", "r2");
        await _adapter.Idempotency.SetAsync("refund:1", "r3");

        var circuits = await _adapter.Admin.ListCircuitsAsync();
        Assert.Equal(["email", "payments"], circuits.Select(c => c.Key));
        Assert.Equal(CircuitState.Open, circuits[1].State.State);

        var task = Assert.Single(await _adapter.Admin.ListTasksAsync());
        Assert.Equal(new TaskSummary("import", 2, 2, 40, TimeSpan.FromMinutes(3), _time.GetUtcNow()), task);

        var lockInfo = Assert.Single(await _adapter.Admin.ListLocksAsync());
        Assert.Equal(("report", "me", handle!.FencingToken), (lockInfo.Key, lockInfo.Owner, lockInfo.FencingToken));

        var charges = await _adapter.Admin.ListIdempotencyKeysAsync("charge:*");
        Assert.Equal(["charge:1", "charge:2"], charges.Select(k => k.Key));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(1), charges[0].ExpiresAt);
        Assert.Equal(4, charges[0].ValueBytes);
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
