namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What <see cref="IPersistenceAdmin.CompactAsync"/> promises on every backend: every row of every kind reads back the
/// same afterwards, the store stays usable, the sizes are the ones the statistics report, a cancelled token and an
/// adapter that is not connected change nothing. What each backend's compaction does to its files is tested beside it
/// (Sqlite/SqliteCompactionTests, PostgreSql/PostgresCompactionTests).
/// </summary>
public abstract class CompactionConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    private bool IsPostgres => Backend is PostgresBackend;

    [Fact]
    public async Task Compact_AnEmptyStore_CompletesAndLeavesItUsable()
    {
        var p = await OpenAsync();

        var result = await p.Admin.CompactAsync(Ct);

        Assert.True(result.IsComplete);
        Assert.True(result.Elapsed >= TimeSpan.Zero);
        Assert.True(result.SizeBefore >= 0 && result.SizeAfter >= 0);
        Assert.Equal(result.SizeBefore - result.SizeAfter, result.Reclaimed);
        await p.Cache.SetAsync("after", 1, cancellationToken: Ct);
        Assert.Equal(1, await p.Cache.GetAsync<int>("after", Ct));
        Assert.True((await p.Admin.CompactAsync(Ct)).IsComplete);
    }

    [Fact]
    public async Task Compact_AfterMostRowsWereDeleted_KeepsEveryOtherRowOfEveryKind()
    {
        var p = await OpenAsync();
        var value = new string('v', 300);
        for (var i = 0; i < 600; i++)
        {
            await p.Cache.SetAsync("k" + i, value + i, i % 5 == 0 ? null : TimeSpan.FromSeconds(1), Ct);
        }

        for (var i = 1; i < 600; i += 10)
        {
            await p.Cache.DeleteAsync("k" + i, Ct);
        }

        await p.Idempotency.SetAsync("charge", "receipt", cancellationToken: Ct);
        await p.CircuitBreakers.RecordFailureAsync("payments", 2, Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<string>("import#1", "import", 1, Time.GetUtcNow(), 50, "half"), Ct);
        var handle = await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(5), "me", Ct);
        await p.Semaphores.AcquireAsync("pool", 2, TimeSpan.FromMinutes(5), "me", Ct);
        Advance(1000);
        Assert.Equal(420, (await p.PruneAsync(Ct)).Cache);

        var result = await p.Admin.CompactAsync(Ct);

        Assert.True(result.IsComplete);
        for (var i = 0; i < 600; i += 5)
        {
            Assert.Equal(value + i, await p.Cache.GetAsync<string>("k" + i, Ct));
        }

        Assert.Equal(120, (await p.Cache.KeysAsync(cancellationToken: Ct)).Count);
        Assert.Equal("receipt", (await p.Idempotency.GetAsync<string>("charge", Ct))!.Value);
        Assert.Equal(1, (await p.CircuitBreakers.GetStateAsync("payments", Ct))!.FailureCount);
        Assert.Equal("half", (await p.Checkpoints.LoadLatestAsync<string>("import", Ct))!.Data);
        Assert.Equal(handle!.FencingToken, (await p.Locks.GetInfoAsync("job", Ct))!.FencingToken);
        Assert.Single((await p.Semaphores.GetInfoAsync("pool", Ct))!.Holders);
        var stats = await p.Admin.GetStatsAsync(Ct);
        Assert.Equal(new RowCounts(120, 0), stats.Cache);
        Assert.Equal(new RowCounts(1, 0), stats.Idempotency);

        // Still writable, and a second compaction has nothing left to give back.
        await p.Cache.SetAsync("after", "x", cancellationToken: Ct);
        Assert.Equal("x", await p.Cache.GetAsync<string>("after", Ct));
        Assert.True((await p.Admin.CompactAsync(Ct)).IsComplete);
    }

    [Fact]
    public async Task Compact_ReportsTheSizeTheStatisticsReport()
    {
        var p = await OpenAsync();
        for (var i = 0; i < 200; i++)
        {
            await p.Cache.SetAsync("k" + i, new string('v', 500), cancellationToken: Ct);
        }

        var before = await p.Admin.GetStatsAsync(Ct);
        var result = await p.Admin.CompactAsync(Ct);
        var after = await p.Admin.GetStatsAsync(Ct);

        if (!IsPostgres)
        {
            // On a server, autovacuum may change the tables' sizes between any two looks.
            Assert.Equal(before.SizeOnDisk, result.SizeBefore);
            Assert.Equal(after.SizeOnDisk, result.SizeAfter);
        }
        else
        {
            Assert.True(result.SizeBefore > 0 && result.SizeAfter > 0);
        }
    }

    [Fact]
    public async Task Compact_WithACancelledToken_ThrowsAndChangesNothing()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Admin.CompactAsync(cancelled.Token));

        Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
        Assert.True((await p.Admin.CompactAsync(Ct)).IsComplete);
    }

    [Fact]
    public async Task Compact_BeforeConnectAndAfterDisconnect_Throws()
    {
        var unconnected = Backend.CreateUnconnected(Backend.Options());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await unconnected.Admin.CompactAsync(Ct));

        await unconnected.ConnectAsync(Ct);
        Assert.True((await unconnected.Admin.CompactAsync(Ct)).IsComplete);
        await unconnected.DisconnectAsync(Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await unconnected.Admin.CompactAsync(Ct));
    }
}
