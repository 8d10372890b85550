namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the lock contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class LockSharedStoreConformance<TBackend> : LockConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task DatabaseLocks_DoNotLeakAcrossPrefixes()
    {
        var a = await OpenAsync("a", LockScope.Database);
        var b = await OpenSecondAsync("A", LockScope.Database);
        Assert.NotNull(await a.Locks.AcquireAsync("job", Ttl, "a", Ct));
        Assert.NotNull(await b.Locks.AcquireAsync("job", Ttl, "b", Ct));
        await b.Locks.ForceReleaseAsync("job", Ct);
        Assert.Equal("a", (await a.Locks.GetInfoAsync("job", Ct))!.Owner);
    }

    [Fact]
    public async Task DatabaseLocks_ExcludeAcrossAdapters_ProcessLocksDoNot()
    {
        var a = await OpenAsync("app:", LockScope.Database);
        var b = await OpenSecondAsync("app:", LockScope.Database);
        var held = await a.Locks.AcquireAsync("job", Ttl, "a", Ct);
        Assert.NotNull(held);
        Assert.Null(await b.Locks.AcquireAsync("job", Ttl, "b", Ct));
        Assert.Equal("a", (await b.Locks.GetInfoAsync("job", Ct))!.Owner);

        // The same owner from another adapter is the same holder (re-entrant), as on one database file.
        Assert.Equal(held.FencingToken, (await b.Locks.AcquireAsync("job", Ttl, "a", Ct))!.FencingToken);
        await held.ReleaseAsync(Ct);
        Assert.NotNull(await b.Locks.AcquireAsync("job", Ttl, "b", Ct));

        var c = await Backend.OpenAsync(Backend.Options("app:", LockScope.Process));
        var d = await Backend.OpenAsync(Backend.Options("app:", LockScope.Process));
        Assert.NotNull(await c.Locks.AcquireAsync("job", Ttl, "c", Ct));
        Assert.NotNull(await d.Locks.AcquireAsync("job", Ttl, "d", Ct));
    }

    [Fact]
    public async Task FencingToken_IsOneCounterPerDatabase_AndSurvivesPrune()
    {
        var a = await OpenAsync("a:", LockScope.Database);
        var b = await OpenSecondAsync("b:", LockScope.Database);
        var t1 = (await a.Locks.AcquireAsync("k", Ttl, cancellationToken: Ct))!.FencingToken;
        var t2 = (await b.Locks.AcquireAsync("k", Ttl, cancellationToken: Ct))!.FencingToken;
        Advance(100);
        Assert.Equal(1, (await a.PruneAsync(Ct)).Locks);
        Assert.Equal(1, (await b.PruneAsync(Ct)).Locks);
        Assert.Equal(0, await Backend.CountRowsAsync(a, "go_goscope_locks"));
        var t3 = (await a.Locks.AcquireAsync("k", Ttl, cancellationToken: Ct))!.FencingToken;
        Assert.True(t1 < t2 && t2 < t3, $"{t1} {t2} {t3}");
    }
}
