namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What <see cref="IPersistenceAdapter.Admin"/> promises on every backend: counts and lists of this adapter's prefix
/// only (a neighbor on the same store writes one row of every kind), live told from expired, pruning reflected.
/// </summary>
public abstract class AdminSharedStoreConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    private async Task<IPersistenceAdapter> OpenWithNeighborAsync(LockScope scope = LockScope.Database)
    {
        var neighbor = await OpenSecondAsync("other:");
        await neighbor.Cache.SetAsync("noise", 1, cancellationToken: Ct);
        await neighbor.CircuitBreakers.RecordFailureAsync("noise", 1, Ct);
        await neighbor.Idempotency.SetAsync("noise", 1, cancellationToken: Ct);
        await neighbor.Checkpoints.SaveAsync(new Checkpoint<int>("noise#1", "noise", 1, Time.GetUtcNow(), 1, 1), Ct);
        await neighbor.Locks.AcquireAsync("noise", TimeSpan.FromMinutes(1), cancellationToken: Ct);
        return await OpenAsync("app:", scope);
    }

    [Theory]
    [InlineData(LockScope.Database)]
    [InlineData(LockScope.Process)]
    public async Task Stats_CountLiveAndExpiredRowsOfThisPrefixOnly(LockScope scope)
    {
        var p = await OpenWithNeighborAsync(scope);
        await p.Cache.SetAsync("a", 1, TimeSpan.FromSeconds(1), Ct);
        await p.Cache.SetAsync("b", 2, cancellationToken: Ct);
        await p.Idempotency.SetAsync("x", "r", TimeSpan.FromSeconds(1), Ct);
        await p.CircuitBreakers.RecordFailureAsync("payments", 3, Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("t#1", "t", 1, Time.GetUtcNow(), 10, 1), Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("t#2", "t", 2, Time.GetUtcNow(), 20, 2), Ct);
        await p.Locks.AcquireAsync("job", TimeSpan.FromSeconds(1), cancellationToken: Ct);
        Advance(1000);

        var stats = await p.Admin.GetStatsAsync(Ct);

        Assert.Equal(SchemaRules.CurrentVersion, stats.SchemaVersion);
        Assert.False(string.IsNullOrEmpty(stats.DataSource));
        Assert.Equal(new RowCounts(1, 1), stats.Cache);
        Assert.Equal(new RowCounts(0, 1), stats.Idempotency);
        Assert.Equal(new RowCounts(0, 1), stats.Locks);
        Assert.Equal(1, stats.Circuits);
        Assert.Equal(2, stats.Checkpoints);
        Assert.Equal(1, stats.Tasks);

        Assert.Equal(new PruneResult { Cache = 1, Idempotency = 1, Locks = 1 }, await p.PruneAsync(Ct));
        stats = await p.Admin.GetStatsAsync(Ct);
        Assert.Equal(new RowCounts(1, 0), stats.Cache);
        Assert.Equal(new RowCounts(0, 0), stats.Idempotency);
        Assert.Equal(new RowCounts(0, 0), stats.Locks);
    }

    [Theory]
    [InlineData(LockScope.Database)]
    [InlineData(LockScope.Process)]
    public async Task Lists_ShowCircuitsTasksLocksAndIdempotencyKeysOfThisPrefixOnly(LockScope scope)
    {
        var p = await OpenWithNeighborAsync(scope);
        await p.CircuitBreakers.RecordFailureAsync("payments", 1, Ct);
        await p.CircuitBreakers.RecordSuccessAsync("email", Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("t#1", "import", 1, Time.GetUtcNow(), 10, 1), Ct);
        Advance(5);
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("t#2", "import", 2, Time.GetUtcNow(), 40, 2, TimeSpan.FromMinutes(3)), Ct);
        var handle = await p.Locks.AcquireAsync("report", TimeSpan.FromMinutes(1), "me", Ct);
        await p.Locks.AcquireAsync("gone", TimeSpan.FromMilliseconds(1), "me", Ct);
        await p.Idempotency.SetAsync("charge:1", "r1", TimeSpan.FromHours(1), Ct);
        await p.Idempotency.SetAsync("charge:2", "r2", cancellationToken: Ct);
        await p.Idempotency.SetAsync("refund:1", "r3", cancellationToken: Ct);
        await p.Idempotency.SetAsync("charge:old", "r4", TimeSpan.FromMilliseconds(1), Ct);
        Advance(1);

        var circuits = await p.Admin.ListCircuitsAsync(Ct);
        Assert.Equal(["email", "payments"], circuits.Select(c => c.Key));
        Assert.Equal(CircuitState.Open, circuits[1].State.State);
        Assert.Equal(1, circuits[1].State.FailureCount);

        var task = Assert.Single(await p.Admin.ListTasksAsync(Ct));
        Assert.Equal(new TaskSummary("import", 2, 2, 40, TimeSpan.FromMinutes(3), Time.GetUtcNow().AddMilliseconds(-1)), task);

        var lockInfo = Assert.Single(await p.Admin.ListLocksAsync(Ct));
        Assert.Equal(("report", "me", handle!.FencingToken), (lockInfo.Key, lockInfo.Owner, lockInfo.FencingToken));

        var charges = await p.Admin.ListIdempotencyKeysAsync("charge:*", Ct);
        Assert.Equal(["charge:1", "charge:2"], charges.Select(k => k.Key));
        Assert.Equal(Time.GetUtcNow().AddMilliseconds(-1) + TimeSpan.FromHours(1), charges[0].ExpiresAt);
        Assert.Null(charges[1].ExpiresAt);
        Assert.Equal(4, charges[0].ValueBytes);
        Assert.Equal(3, (await p.Admin.ListIdempotencyKeysAsync(cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task Admin_BeforeConnectAndAfterDisconnect_Throws()
    {
        var p = await OpenAsync("app:");
        await p.DisconnectAsync(Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Admin.GetStatsAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Admin.ListCircuitsAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Admin.ListTasksAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Admin.ListLocksAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.Admin.ListIdempotencyKeysAsync(null, Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await p.PruneAsync(Ct));
    }
}
