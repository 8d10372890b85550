namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the storage contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class StorageSharedStoreConformance<TBackend> : StorageConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task ConcatenatedKeys_DoNotCollideAcrossKinds()
    {
        // The original tagged only some kinds, so "a" + "bc" and "ab" + "c" met; every kind is tagged here.
        var a = await OpenAsync("a");
        var ab = await OpenSecondAsync("ab");
        await a.Cache.SetAsync("bc", 1, cancellationToken: Ct);
        await ab.Cache.SetAsync("c", 2, cancellationToken: Ct);
        await a.CircuitBreakers.RecordFailureAsync("bc", 5, Ct);
        Assert.Null(await ab.CircuitBreakers.GetStateAsync("c", Ct));
        Assert.Equal(1, await a.Cache.GetAsync<int>("bc", Ct));
        Assert.Equal(2, await ab.Cache.GetAsync<int>("c", Ct));
        Assert.Equal(2, await Backend.CountRowsAsync(a, "go_goscope_cache"));
    }
}
