namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The idempotency contract, the same on every backend.</summary>
public abstract partial class IdempotencyConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task SetGet_RoundTrips_WithExpiry()
    {
        var p = await OpenAsync();
        Assert.Null(await p.Idempotency.GetAsync<string>("k", Ct));
        Time.Advance(TimeSpan.FromTicks(3_000));
        await p.Idempotency.SetAsync("k", "result", TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(new IdempotencyRecord<string>("result", Conformance.Backend.Start.AddSeconds(10)), await p.Idempotency.GetAsync<string>("k", Ct));
        await p.Idempotency.SetAsync("forever", 5, cancellationToken: Ct);
        Assert.Equal(new IdempotencyRecord<int>(5, null), await p.Idempotency.GetAsync<int>("forever", Ct));
        await p.Idempotency.SetAsync("explicit", new Point(1, 2), null, PointInfo.Instance, Ct);
        Assert.Equal(new Point(1, 2), (await p.Idempotency.GetAsync("explicit", PointInfo.Instance, Ct))!.Value);
    }

    [Fact]
    public async Task Record_ExpiresWithMillisecondPrecision()
    {
        var p = await OpenAsync();
        await p.Idempotency.SetAsync("k", 1, TimeSpan.FromMilliseconds(50), Ct);
        Advance(49);
        Assert.NotNull(await p.Idempotency.GetAsync<int>("k", Ct));
        Advance(1);
        Assert.Null(await p.Idempotency.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task Set_Upserts_Delete_ReturnsWhetherLive()
    {
        var p = await OpenAsync();
        await p.Idempotency.SetAsync("k", 1, TimeSpan.FromMilliseconds(10), Ct);
        await p.Idempotency.SetAsync("k", 2, cancellationToken: Ct);
        Advance(100);
        Assert.Equal(new IdempotencyRecord<int>(2, null), await p.Idempotency.GetAsync<int>("k", Ct));
        Assert.True(await p.Idempotency.DeleteAsync("k", Ct));
        Assert.False(await p.Idempotency.DeleteAsync("k", Ct));
        await p.Idempotency.SetAsync("e", 1, TimeSpan.FromMilliseconds(1), Ct);
        Advance(1);
        Assert.False(await p.Idempotency.DeleteAsync("e", Ct));
        Assert.Equal(0, await Backend.CountRowsAsync(p, "go_goscope_idempotency"));
    }

    [Fact]
    public async Task Arguments_AreValidated()
    {
        var p = await OpenAsync();
        foreach (var bad in new[] { null, "", "\uD800x" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Idempotency.GetAsync<int>(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Idempotency.SetAsync(bad!, 1, cancellationToken: Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Idempotency.DeleteAsync(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Idempotency.ExecuteOnceAsync(bad!, null, _ => ValueTask.FromResult(1), Ct));
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Idempotency.SetAsync("k", 1, TimeSpan.Zero, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromSeconds(-1), _ => ValueTask.FromResult(1), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Idempotency.ExecuteOnceAsync<int>("k", null, null!, Ct));
        Assert.Null(await p.Idempotency.GetAsync<int>("k", Ct));
    }

    [Fact]
    public async Task CorruptRecord_IsPayloadFormatException_NotAMiss()
    {
        var p = await OpenAsync("pre:");
        await Backend.PutRawIdempotencyAsync(p, "bad", "nope");
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Idempotency.GetAsync<string>("bad", Ct));
        Assert.Equal("bad", e.Key);
        Assert.Equal(typeof(string), e.PayloadType);
        await p.Idempotency.SetAsync("text", "hello", cancellationToken: Ct);
        Assert.Equal(typeof(int), (await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Idempotency.GetAsync<int>("text", Ct))).PayloadType);

        // ExecuteOnce must not treat an unreadable record as "not run yet".
        var runs = 0;
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Idempotency.ExecuteOnceAsync("text", null, _ => ValueTask.FromResult(++runs), Ct));
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task ExecuteOnce_RunsOnce_AndReturnsTheStoredResult()
    {
        var p = await OpenAsync();
        var runs = 0;
        Assert.Equal("r1", await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMinutes(1), _ => ValueTask.FromResult("r" + ++runs), Ct));
        Assert.Equal("r1", await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMinutes(1), _ => ValueTask.FromResult("r" + ++runs), Ct));
        Assert.Equal(1, runs);
        Assert.Equal("r1", (await p.Idempotency.GetAsync<string>("k", Ct))!.Value);
    }

    [Fact]
    public async Task ExecuteOnce_DoesNotSlideTheTtl_AndRunsAgainAfterExpiry()
    {
        var p = await OpenAsync();
        var runs = 0;
        await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMilliseconds(100), _ => ValueTask.FromResult(++runs), Ct);
        Advance(60);
        Assert.Equal(1, await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMilliseconds(100), _ => ValueTask.FromResult(++runs), Ct));
        Assert.Equal(Conformance.Backend.Start.AddMilliseconds(100), (await p.Idempotency.GetAsync<int>("k", Ct))!.ExpiresAt);
        Advance(40);
        Assert.Equal(2, await p.Idempotency.ExecuteOnceAsync("k", TimeSpan.FromMilliseconds(100), _ => ValueTask.FromResult(++runs), Ct));
    }

    [Fact]
    public async Task ExecuteOnce_NeverStoresAFailure()
    {
        var p = await OpenAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await p.Idempotency.ExecuteOnceAsync<int>("k", null, _ => throw new InvalidOperationException("boom"), Ct));
        Assert.Null(await p.Idempotency.GetAsync<int>("k", Ct));
        Assert.Equal(7, await p.Idempotency.ExecuteOnceAsync("k", null, _ => ValueTask.FromResult(7), Ct));
    }

    [Theory]
    [InlineData(LockScope.Process)]
    [InlineData(LockScope.Database)]
    public async Task ExecuteOnce_ConcurrentCallers_RunTheActionOnce(LockScope scope)
    {
        var a = await OpenAsync("eo:", scope);
        var adapters = new List<IPersistenceAdapter> { a };
        if (scope == LockScope.Database && Backend.SupportsSecondAdapter)
        {
            adapters.Add(await Backend.OpenAsync(Backend.Options("eo:", scope)));
        }

        var runs = 0;
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            await adapters[i % adapters.Count].Idempotency.ExecuteOnceAsync("charge", TimeSpan.FromMinutes(5), async ct =>
            {
                var run = Interlocked.Increment(ref runs);
                await Task.Delay(20, ct);
                return run;
            }, Ct), Ct)));
        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal(1, r));
    }

    [Fact]
    public async Task ExpiredRecords_AreReclaimed()
    {
        var p = await OpenAsync();
        for (var i = 0; i < 20_000; i++)
        {
            await p.Idempotency.SetAsync("k" + i, i, TimeSpan.FromMilliseconds(3), Ct);
            Advance(1);
        }

        Assert.InRange(await Backend.CountRowsAsync(p, "go_goscope_idempotency"), 1, 200);
        var pruned = await p.PruneAsync(Ct);
        Assert.Equal(2, await Backend.CountRowsAsync(p, "go_goscope_idempotency"));
        Assert.True(pruned.Idempotency > 0);
    }

}
