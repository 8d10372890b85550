namespace NativeAotPersistence.Tests.Conformance;

/// <summary>What is stored (tables, keys and namespaces), the same on every backend.</summary>
public abstract class StorageConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task StoredKeys_AreTaggedByKind()
    {
        var p = await OpenAsync("app:", LockScope.Database);
        await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
        await p.Idempotency.SetAsync("k", 1, cancellationToken: Ct);
        await p.CircuitBreakers.RecordFailureAsync("k", 3, Ct);
        await p.Locks.AcquireAsync("k", TimeSpan.FromSeconds(1), cancellationToken: Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("c", "t", 1, Conformance.Backend.Start, 0, 1), Ct);
        Assert.Equal(["app:cache:k"], await Backend.StoredKeysAsync(p, "go_goscope_cache"));
        Assert.Equal(["app:idempotency:k"], await Backend.StoredKeysAsync(p, "go_goscope_idempotency"));
        Assert.Equal(["app:circuit:k"], await Backend.StoredKeysAsync(p, "go_goscope_circuit"));
        Assert.Equal(["app:lock:k"], await Backend.StoredKeysAsync(p, "go_goscope_locks"));
        Assert.Equal(["app:checkpoint:c"], await Backend.StoredKeysAsync(p, "go_goscope_checkpoints"));
    }

    [Fact]
    public async Task TimeColumns_AreUnixMilliseconds()
    {
        Time.Advance(TimeSpan.FromTicks(4_321));
        var p = await OpenAsync();
        await p.Cache.SetAsync("ttl", 1, TimeSpan.FromTicks((1500 * TimeSpan.TicksPerMillisecond) + 9_999), Ct);
        await p.Cache.SetAsync("never", 1, cancellationToken: Ct);
        Assert.Equal(Conformance.Backend.Start.ToUnixTimeMilliseconds() + 1500, await Backend.CacheExpiresAtAsync(p, "cache:ttl"));
        Assert.Equal(-1, await Backend.CacheExpiresAtAsync(p, "cache:never"));
    }

    [Fact]
    public async Task AValueTooDeepToReadBack_IsRefusedOnWrite_NamingTheKeyAndTheLimit_AndNothingIsStored()
    {
        var p = await OpenAsync();

        // 64 levels: what readers accept (System.Text.Json's default), stored and read back.
        await p.Cache.SetAsync("deepest", Nest.Of(64), null, NestInfo.Instance, Ct);
        Assert.Equal(64, (await p.Cache.GetAsync("deepest", NestInfo.Instance, Ct))!.Depth);

        foreach (var depth in new[] { 65, 1000 })
        {
            var deep = Nest.Of(depth);
            var refusals = new List<ArgumentException>
            {
                await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.SetAsync("deep", deep, null, NestInfo.Instance, Ct)),
                await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.AddAsync("deep", deep, null, NestInfo.Instance, Ct)),
                await Assert.ThrowsAsync<ArgumentException>(async () => await p.Idempotency.SetAsync("deep", deep, null, NestInfo.Instance, Ct)),
                await Assert.ThrowsAsync<ArgumentException>(async () =>
                    await p.Checkpoints.SaveAsync(new Checkpoint<Nest>("deep", "task", 1, Conformance.Backend.Start, 0, deep), NestInfo.Instance, Ct)),
            };
            Assert.All(refusals, e =>
            {
                Assert.Contains("'deep'", e.Message, StringComparison.Ordinal);
                Assert.Contains("64", e.Message, StringComparison.Ordinal);
                Assert.IsType<System.Text.Json.JsonException>(e.InnerException);
            });
            Assert.False(await p.Cache.HasAsync("deep", Ct));
            Assert.Null(await p.Idempotency.GetAsync("deep", NestInfo.Instance, Ct));
            Assert.Empty(await p.Checkpoints.ListAsync("task", Ct));
        }
    }

    [Fact]
    public async Task NaNAndInfinities_AreRefused_WithAdviceTheCallerCanFollow()
    {
        var p = await OpenAsync();
        foreach (var value in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.SetAsync("n", value, cancellationToken: Ct));
            Assert.Contains("'n'", error.Message, StringComparison.Ordinal);
            Assert.Contains("NaN or an infinity", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("JsonNumberHandling", error.Message, StringComparison.Ordinal);
            Assert.False(await p.Cache.HasAsync("n", Ct));
        }

        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Idempotency.SetAsync("f", float.NaN, cancellationToken: Ct));
        Assert.Null(await p.Idempotency.GetAsync<float>("f", Ct));
    }
}
