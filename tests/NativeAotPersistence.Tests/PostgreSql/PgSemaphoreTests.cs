namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>PostgreSQL semaphores: the per-key grant lock across separate adapters (pools), and the shared fencing sequence.</summary>
public sealed class PgSemaphoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FourAdapters_RacingForAFreshKey_NeverHoldMoreThanTheLimit()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        var adapters = new PostgresAdapter[4];
        for (var i = 0; i < adapters.Length; i++)
        {
            adapters[i] = await PostgresAdapter.OpenAsync(cs, cancellationToken: Ct);
        }

        try
        {
            const int permits = 3;
            int holding = 0, most = 0, granted = 0;
            var tokens = new System.Collections.Concurrent.ConcurrentBag<long>();
            using var start = new ManualResetEventSlim();
            var workers = Enumerable.Range(0, 32).Select(n => Task.Run(async () =>
            {
                start.Wait(Ct);
                for (var round = 0; round < 5; round++)
                {
                    await using var permit = await adapters[n % adapters.Length].Semaphores.AcquireAsync("pool", permits, TimeSpan.FromMinutes(1), cancellationToken: Ct);
                    if (permit is null)
                    {
                        continue;
                    }

                    tokens.Add(permit.FencingToken);
                    Interlocked.Increment(ref granted);
                    var now = Interlocked.Increment(ref holding);
                    InterlockedMax(ref most, now);
                    await Task.Delay(5, Ct);
                    Interlocked.Decrement(ref holding);
                }
            }, Ct)).ToArray();
            start.Set();
            await Task.WhenAll(workers);

            Assert.InRange(most, 1, permits);
            Assert.True(granted >= permits, $"only {granted} grants");
            Assert.Equal(tokens.Count, tokens.Distinct().Count());
            Assert.Null(await adapters[0].Semaphores.GetInfoAsync("pool", Ct));
        }
        finally
        {
            foreach (var adapter in adapters)
            {
                await adapter.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LocksAndSemaphores_DrawFromOneFencingSequence_AndALiveLimitIsKept()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        await using var p = await PostgresAdapter.OpenAsync(cs, cancellationToken: Ct);
        var ttl = TimeSpan.FromMinutes(1);

        await using var first = await p.Locks.AcquireAsync("l", ttl, cancellationToken: Ct);
        await using var permit = await p.Semaphores.AcquireAsync("s", 2, ttl, "a", Ct);
        await using var again = await p.Semaphores.AcquireAsync("s", 2, ttl, "a", Ct);
        await using var second = await p.Semaphores.AcquireAsync("s", 2, ttl, "b", Ct);
        await using var third = await p.Semaphores.AcquireAsync("s", 2, ttl, "c", Ct);
        await using var last = await p.Locks.AcquireAsync("m", ttl, cancellationToken: Ct);

        Assert.NotNull(first);
        Assert.NotNull(permit);
        Assert.NotNull(second);
        Assert.NotNull(last);
        Assert.Null(third);
        Assert.Equal(permit.FencingToken, again!.FencingToken);
        Assert.True(first.FencingToken < permit.FencingToken && permit.FencingToken < second.FencingToken && second.FencingToken < last.FencingToken);
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Semaphores.AcquireAsync("s", 3, ttl, "d", Ct));

        var info = await p.Semaphores.GetInfoAsync("s", Ct);
        Assert.NotNull(info);
        Assert.Equal(2, info.Permits);
        Assert.Equal(["a", "b"], info.Holders.Select(h => h.Owner));
        Assert.Equal(2, (await p.Admin.GetStatsAsync(Ct)).Semaphores.Live);
        Assert.Single(await p.Admin.ListSemaphoresAsync(Ct));

        await p.Semaphores.ForceReleaseAsync("s", Ct);
        Assert.Null(await p.Semaphores.GetInfoAsync("s", Ct));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
