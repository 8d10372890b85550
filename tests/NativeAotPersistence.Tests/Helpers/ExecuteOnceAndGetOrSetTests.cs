using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.Conformance;

namespace NativeAotPersistence.Tests.Helpers;

public sealed class ExecuteOnceAndGetOrSetTests_Sqlite : ExecuteOnceAndGetOrSetTests<SqliteFileBackend>
{
    protected override async ValueTask<string> SharedDatabaseAsync()
    {
        var db = Dir.File("shared.db");
        await (await SqliteAdapter.OpenAsync(db)).DisposeAsync();
        return db;
    }
}

public sealed class ExecuteOnceAndGetOrSetTests_Postgres : ExecuteOnceAndGetOrSetTests<PostgresBackend>
{
    // The test host takes "pg:<connection string>": its processes meet on a fresh schema of the test server.
    protected override async ValueTask<string> SharedDatabaseAsync()
    {
        var connectionString = await PostgreSql.PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        return "pg:" + connectionString;
    }
}

/// <summary>ExecuteOnce and GetOrSet over database-backed providers (Database-scope locks): a SQLite file, or PostgreSQL.</summary>
public abstract class ExecuteOnceAndGetOrSetTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    private readonly TBackend _backend = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private IPersistenceAdapter _adapter = null!;

    protected TempDirectory Dir { get; } = new();

    public async ValueTask InitializeAsync() => _adapter = await _backend.OpenAsync(lockScope: LockScope.Database, time: _time);

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A database the test host's processes share, created beforehand, as the host's database argument.</summary>
    protected abstract ValueTask<string> SharedDatabaseAsync();

    [Fact]
    public async Task ExecuteOnce_With32ConcurrentCallers_RunsTheActionOnce()
    {
        var runs = 0;
        var entered = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            Interlocked.Increment(ref entered);
            return await _adapter.Idempotency.ExecuteOnceAsync("charge:42", TimeSpan.FromHours(1), async ct =>
            {
                Interlocked.Increment(ref runs);
                await release.Task;
                return "receipt-1";
            });
        })).ToArray();

        // Released only once every caller has called in and one action holds the key: the others cannot have found a
        // stored result, so they run it or wait for it.
        await UntilAsync(() => Volatile.Read(ref entered) == 32 && Volatile.Read(ref runs) == 1);
        release.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal("receipt-1", r));
        Assert.Equal("receipt-1", (await _adapter.Idempotency.GetAsync<string>("charge:42"))!.Value);
    }

    [Fact]
    public async Task ExecuteOnce_DoesNotStoreAFailure()
    {
        await Assert.ThrowsAsync<TimeoutException>(async () =>
            await _adapter.Idempotency.ExecuteOnceAsync<string>("charge:42", TimeSpan.FromHours(1), _ => throw new TimeoutException()));
        Assert.Null(await _adapter.Idempotency.GetAsync<string>("charge:42"));

        var value = await _adapter.Idempotency.ExecuteOnceAsync("charge:42", TimeSpan.FromHours(1), _ => ValueTask.FromResult("second try"));
        Assert.Equal("second try", value);
    }

    [Fact]
    public async Task ExecuteOnce_AHitDoesNotSlideTheTtl()
    {
        await _adapter.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMinutes(10), _ => ValueTask.FromResult(1));
        var expiresAt = (await _adapter.Idempotency.GetAsync<int>("k"))!.ExpiresAt;
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(10), expiresAt);

        _time.Advance(TimeSpan.FromMinutes(9));
        var ran = false;
        Assert.Equal(1, await _adapter.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMinutes(10), _ => { ran = true; return ValueTask.FromResult(2); }));
        Assert.False(ran);
        Assert.Equal(expiresAt, (await _adapter.Idempotency.GetAsync<int>("k"))!.ExpiresAt);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, await _adapter.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMinutes(10), _ => ValueTask.FromResult(3)));
    }

    [Fact]
    public async Task ExecuteOnce_AcrossProcesses_RunsTheActionOnce()
    {
        var db = await SharedDatabaseAsync();
        var marker = Dir.File("runs.log");

        // A start barrier: every process has opened the store before any calls, so their calls overlap.
        var barrier = Directory.CreateDirectory(Dir.File("barrier")).FullName;
        var children = Enumerable.Range(0, 3)
            .Select(_ => ChildProcess.RunTestHostAsync(["execute-once", db, "import:2026-11-25", marker, "300", barrier]))
            .ToArray();
        await UntilAsync(() => Directory.GetFiles(barrier, "ready-*").Length == 3 || children.Any(c => c.IsCompleted));
        await File.WriteAllTextAsync(Path.Combine(barrier, "go"), "", TestContext.Current.CancellationToken);
        var outcomes = await Task.WhenAll(children);

        Assert.All(outcomes, o => Assert.True(o.ExitCode == 0, o.Error));
        var values = outcomes.Select(o => Assert.Single(o.Lines)).Distinct().ToArray();
        Assert.Single(values);
        Assert.StartsWith("OK ran-in-", values[0], StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(marker, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetOrSet_With32ConcurrentMisses_RunsTheFactoryOnce()
    {
        var calls = 0;
        var entered = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            Interlocked.Increment(ref entered);
            return await _adapter.Cache.GetOrSetAsync("user:7", async ct =>
            {
                Interlocked.Increment(ref calls);
                await release.Task;
                return "profile-7";
            }, TimeSpan.FromMinutes(10));
        })).ToArray();

        await UntilAsync(() => Volatile.Read(ref entered) == 32 && Volatile.Read(ref calls) == 1);
        release.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("profile-7", r));
        Assert.Equal("profile-7", await _adapter.Cache.GetAsync<string>("user:7"));
    }

    [Fact]
    public async Task GetOrSet_DoesNotCacheAFailure_AndHonorsTheTtl()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await _adapter.Cache.GetOrSetAsync<int>("k", _ => throw new InvalidOperationException(), TimeSpan.FromSeconds(5)));
        Assert.False(await _adapter.Cache.HasAsync("k"));

        Assert.Equal(1, await _adapter.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(1), TimeSpan.FromSeconds(5)));
        Assert.Equal(1, await _adapter.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(2), TimeSpan.FromSeconds(5)));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, await _adapter.Cache.GetOrSetAsync("k", _ => ValueTask.FromResult(3), TimeSpan.FromSeconds(5)));
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not come true within 60 s.");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }
}
