namespace NativeAotPersistence.Tests.Conformance;

/// <summary>Connect, disconnect and options, the same on every backend.</summary>
public abstract class LifecycleConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task UseBeforeConnect_IsInvalidOperation(LockScope scope)
    {
        var p = Backend.CreateUnconnected(Backend.Options(lockScope: scope));
        Assert.False(p.IsConnected);
        await AssertEveryOperationThrowsNotConnected(p);
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task UseAfterDisconnect_IsInvalidOperation(LockScope scope)
    {
        var p = Backend.CreateUnconnected(Backend.Options(lockScope: scope));
        await p.ConnectAsync(Ct);
        Assert.True(p.IsConnected);
        await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
        await p.DisconnectAsync(Ct);
        Assert.False(p.IsConnected);
        await AssertEveryOperationThrowsNotConnected(p);
        await p.DisconnectAsync(Ct);
        await p.DisposeAsync();
        await p.DisposeAsync();
    }

    [Fact]
    public async Task Reconnect_KeepsTheData_ButNotProcessLocks()
    {
        var p = Backend.CreateUnconnected(Backend.Options(lockScope: LockScope.Process));
        await p.ConnectAsync(Ct);
        await p.ConnectAsync(Ct);
        await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
        await p.Locks.AcquireAsync("l", TimeSpan.FromMinutes(1), "me", Ct);
        await p.DisconnectAsync(Ct);
        await p.ConnectAsync(Ct);
        Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
        Assert.Null(await p.Locks.GetInfoAsync("l", Ct));
    }

    [Fact]
    public async Task Reconnect_KeepsDatabaseLocks_TheDefault()
    {
        var p = Backend.CreateUnconnected(new PersistenceAdapterOptions { TimeProvider = Time });
        await p.ConnectAsync(Ct);
        await p.Locks.AcquireAsync("l", TimeSpan.FromMinutes(1), "me", Ct);
        await p.DisconnectAsync(Ct);
        await p.ConnectAsync(Ct);
        Assert.Equal("me", (await p.Locks.GetInfoAsync("l", Ct))?.Owner);
    }

    [Fact]
    public async Task Providers_BundlesTheSameInstances()
    {
        var p = await OpenAsync();
        var bundle = p.Providers;
        Assert.Same(p.Cache, bundle.Cache);
        Assert.Same(p.Locks, bundle.Lock);
        Assert.Same(p.CircuitBreakers, bundle.CircuitBreaker);
        Assert.Same(p.Checkpoints, bundle.Checkpoint);
        Assert.Same(p.Idempotency, bundle.Idempotency);
    }

    [Fact]
    public void InvalidOptions_Throw()
    {
        Assert.Throws<ArgumentException>(() => Backend.CreateUnconnected(new PersistenceAdapterOptions { KeyPrefix = "a\uD800" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.CreateUnconnected(new PersistenceAdapterOptions { DefaultLockTtl = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.CreateUnconnected(new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromSeconds(-1) }));
        Assert.ThrowsAny<ArgumentException>(() => Backend.CreateUnconnected(new PersistenceAdapterOptions { TimeProvider = null! }));
    }

    [Fact]
    public async Task DefaultLockTtl_IsExposed()
    {
        var p = await Backend.OpenAsync(new PersistenceAdapterOptions { DefaultLockTtl = TimeSpan.FromSeconds(7), TimeProvider = Time });
        Assert.Equal(TimeSpan.FromSeconds(7), p.Locks.DefaultTtl);
    }

    private static async Task AssertEveryOperationThrowsNotConnected(IPersistenceAdapter p)
    {
        var ttl = TimeSpan.FromSeconds(1);
        var checkpoint = new Checkpoint<int>("c", "t", 1, DateTimeOffset.UnixEpoch, 0, 1);
        Func<Task>[] operations =
        [
            async () => await p.Cache.GetAsync<int>("k", Ct),
            async () => await p.Cache.TryGetAsync<int>("k", Ct),
            async () => await p.Cache.SetAsync("k", 1, cancellationToken: Ct),
            async () => await p.Cache.AddAsync("k", 1, cancellationToken: Ct),
            async () => await p.Cache.DeleteAsync("k", Ct),
            async () => await p.Cache.HasAsync("k", Ct),
            async () => await p.Cache.ClearAsync(Ct),
            async () => await p.Cache.KeysAsync(cancellationToken: Ct),
            async () => await p.Locks.AcquireAsync("k", ttl, cancellationToken: Ct),
            async () => await p.Locks.ExtendAsync("k", ttl, "o", Ct),
            async () => await p.Locks.ForceReleaseAsync("k", Ct),
            async () => await p.Locks.GetInfoAsync("k", Ct),
            async () => await p.CircuitBreakers.GetStateAsync("k", Ct),
            async () => await p.CircuitBreakers.SetStateAsync("k", new CircuitBreakerPersistedState(CircuitState.Open, 1), Ct),
            async () => await p.CircuitBreakers.RecordFailureAsync("k", 3, Ct),
            async () => await p.CircuitBreakers.RecordSuccessAsync("k", Ct),
            async () => await p.Checkpoints.SaveAsync(checkpoint, Ct),
            async () => await p.Checkpoints.LoadAsync<int>("c", Ct),
            async () => await p.Checkpoints.LoadLatestAsync<int>("t", Ct),
            async () => await p.Checkpoints.ListAsync("t", Ct),
            async () => await p.Checkpoints.ListAsync<int>("t", Ct),
            async () => await p.Checkpoints.CleanupAsync("t", 1, Ct),
            async () => await p.Checkpoints.DeleteAllAsync("t", Ct),
            async () => await p.Idempotency.GetAsync<int>("k", Ct),
            async () => await p.Idempotency.SetAsync("k", 1, cancellationToken: Ct),
            async () => await p.Idempotency.DeleteAsync("k", Ct),
            async () => await p.Idempotency.ExecuteOnceAsync("k", null, _ => ValueTask.FromResult(1), Ct),
            async () => await p.PruneAsync(Ct),
        ];
        foreach (var operation in operations)
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(operation);
            Assert.Contains("ConnectAsync", e.Message, StringComparison.Ordinal);
        }
    }
}
