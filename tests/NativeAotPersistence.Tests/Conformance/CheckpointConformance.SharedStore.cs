namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// What the checkpoint contract promises between adapters on one store (other processes, other prefixes): run on
/// every backend where a second adapter can open the same database, so not on SQLite <c>:memory:</c>.
/// </summary>
public abstract class CheckpointSharedStoreConformance<TBackend> : CheckpointConformance<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task Checkpoints_DoNotLeakAcrossPrefixes()
    {
        var a = await OpenAsync("t_");
        var b = await OpenSecondAsync("t%");
        await a.Checkpoints.SaveAsync(Cp("c1", "job", 1), Ct);
        await b.Checkpoints.SaveAsync(Cp("c1", "job", 2), Ct);
        Assert.Equal(1, (await a.Checkpoints.LoadLatestAsync<int>("job", Ct))!.Sequence);
        Assert.Equal(2, (await b.Checkpoints.LoadAsync<int>("c1", Ct))!.Sequence);
        await b.Checkpoints.DeleteAllAsync("job", Ct);
        await b.Checkpoints.CleanupAsync("job", 0, Ct);
        Assert.Single(await a.Checkpoints.ListAsync("job", Ct));
    }
}
