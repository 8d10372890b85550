// Point resolves through the hand-written TestPayloads context and Unregistered must fail at run time: the
// generator's compile-time check (NAP0011) cannot see either, so it is off here.
#pragma warning disable NAP0011

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The checkpoint contract, the same on every backend.</summary>
public abstract class CheckpointConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task Save_Load_RoundTrips_WithMillisecondPrecision()
    {
        var p = await OpenAsync();
        var at = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(-5)).AddTicks(12_345);
        await p.Checkpoints.SaveAsync(new Checkpoint<string>("c1", "task", 3, at, 42, "data", TimeSpan.FromTicks(15_555)), Ct);
        var read = await p.Checkpoints.LoadAsync<string>("c1", Ct);
        Assert.Equal(new Checkpoint<string>("c1", "task", 3, DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()), 42, "data", TimeSpan.FromMilliseconds(1)), read);
        Assert.Null(await p.Checkpoints.LoadAsync<string>("missing", Ct));
        Assert.Null(await p.Checkpoints.LoadLatestAsync<string>("missing", Ct));
        Assert.Empty(await p.Checkpoints.ListAsync("missing", Ct));
    }

    [Fact]
    public async Task Save_ExplicitTypeInfo_And_Context()
    {
        var p = await OpenAsync(payloads: TestPayloads.Default);
        await p.Checkpoints.SaveAsync(new Checkpoint<Point>("a", "t", 1, Conformance.Backend.Start, 10, new Point(1, 2)), PointInfo.Instance, Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<Point>("b", "t", 2, Conformance.Backend.Start, 20, new Point(3, 4)), Ct);
        Assert.Equal(new Point(3, 4), (await p.Checkpoints.LoadLatestAsync("t", PointInfo.Instance, Ct))!.Data);
        Assert.Equal(new Point(1, 2), (await p.Checkpoints.LoadAsync<Point>("a", Ct))!.Data);
        Assert.Equal([new Point(1, 2), new Point(3, 4)], (await p.Checkpoints.ListAsync("t", PointInfo.Instance, Ct)).Select(c => c.Data));
        await Assert.ThrowsAsync<PayloadTypeNotRegisteredException>(async () => await p.Checkpoints.SaveAsync(new Checkpoint<Unregistered>("x", "t", 3, Conformance.Backend.Start, 0, new Unregistered(1)), Ct));
    }

    [Fact]
    public async Task ExtremeValues_RoundTrip()
    {
        var p = await OpenAsync();
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("min", "t", long.MinValue, DateTimeOffset.MinValue, 0, 1, TimeSpan.Zero), Ct);
        await p.Checkpoints.SaveAsync(new Checkpoint<int>("max", "t", long.MaxValue, DateTimeOffset.MaxValue, 100, 2, TimeSpan.MaxValue), Ct);
        Assert.Equal(
            new Checkpoint<int>("max", "t", long.MaxValue, DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()), 100, 2, TimeSpan.FromMilliseconds((long)TimeSpan.MaxValue.TotalMilliseconds)),
            await p.Checkpoints.LoadLatestAsync<int>("t", Ct));
        Assert.Equal(new Checkpoint<int>("min", "t", long.MinValue, DateTimeOffset.MinValue, 0, 1, TimeSpan.Zero), await p.Checkpoints.LoadAsync<int>("min", Ct));
        Assert.Equal(["min", "max"], (await p.Checkpoints.ListAsync("t", Ct)).Select(c => c.Id));
    }

    [Fact]
    public async Task LoadLatest_IsTheHighestSequence()
    {
        var p = await OpenAsync();
        foreach (var sequence in new long[] { 5, 1, 9, 3, -2, 7 })
        {
            await p.Checkpoints.SaveAsync(Cp("c" + sequence, "t", sequence), Ct);
        }

        var latest = await p.Checkpoints.LoadLatestAsync<int>("t", Ct);
        Assert.Equal("c9", latest!.Id);
        Assert.Equal(9, latest.Sequence);
    }

    [Fact]
    public async Task SequenceTies_AreOrderedById_LikeSqliteBinary()
    {
        var p = await OpenAsync();

        // Ordinal order puts the surrogate pair (😀) before U+E000; SQLite's BINARY (code point) order puts it after.
        string[] ids = ["\uE000", "😀", "b", "a", "B"];
        foreach (var id in ids)
        {
            await p.Checkpoints.SaveAsync(Cp(id, "t", 1), Ct);
        }

        Assert.Equal("😀", (await p.Checkpoints.LoadLatestAsync<int>("t", Ct))!.Id);
        Assert.Equal(["B", "a", "b", "\uE000", "😀"], (await p.Checkpoints.ListAsync("t", Ct)).Select(c => c.Id));
        await p.Checkpoints.CleanupAsync("t", 2, Ct);
        Assert.Equal(["\uE000", "😀"], (await p.Checkpoints.ListAsync<int>("t", Ct)).Select(c => c.Id));
    }

    [Fact]
    public async Task Save_UpsertsById()
    {
        var p = await OpenAsync();
        await p.Checkpoints.SaveAsync(Cp("c", "t1", 1, progress: 10), Ct);
        await p.Checkpoints.SaveAsync(Cp("c", "t1", 5, progress: 50), Ct);
        Assert.Equal(50, (await p.Checkpoints.LoadAsync<int>("c", Ct))!.Progress);
        Assert.Single(await p.Checkpoints.ListAsync("t1", Ct));

        // Moving an id to another task leaves the first.
        await p.Checkpoints.SaveAsync(Cp("c", "t2", 2), Ct);
        Assert.Empty(await p.Checkpoints.ListAsync("t1", Ct));
        Assert.Null(await p.Checkpoints.LoadLatestAsync<int>("t1", Ct));
        Assert.Equal("t2", (await p.Checkpoints.LoadAsync<int>("c", Ct))!.TaskId);
    }

    [Fact]
    public async Task List_IsAscendingBySequence()
    {
        var p = await OpenAsync();
        foreach (var sequence in new long[] { 3, 1, 2 })
        {
            await p.Checkpoints.SaveAsync(new Checkpoint<int>("c" + sequence, "t", sequence, Conformance.Backend.Start.AddSeconds(sequence), (int)sequence * 10, (int)sequence, TimeSpan.FromSeconds(sequence)), Ct);
        }

        await p.Checkpoints.SaveAsync(Cp("other", "u", 0), Ct);
        Assert.Equal(
            [1L, 2L, 3L],
            (await p.Checkpoints.ListAsync("t", Ct)).Select(c => c.Sequence));
        Assert.Equal(
            new CheckpointInfo("c2", "t", 2, Conformance.Backend.Start.AddSeconds(2), 20, TimeSpan.FromSeconds(2)),
            (await p.Checkpoints.ListAsync("t", Ct))[1]);
        Assert.Equal([1, 2, 3], (await p.Checkpoints.ListAsync<int>("t", Ct)).Select(c => c.Data));
    }

    [Fact]
    public async Task Cleanup_KeepsHighestSequences()
    {
        var p = await OpenAsync();
        foreach (var sequence in new long[] { 4, 2, 5, 1, 3 })
        {
            await p.Checkpoints.SaveAsync(Cp("c" + sequence, "t", sequence), Ct);
        }

        await p.Checkpoints.SaveAsync(Cp("u1", "u", 1), Ct);
        await p.Checkpoints.CleanupAsync("t", 2, Ct);
        Assert.Equal([4L, 5L], (await p.Checkpoints.ListAsync("t", Ct)).Select(c => c.Sequence));
        await p.Checkpoints.CleanupAsync("t", 10, Ct);
        Assert.Equal(2, (await p.Checkpoints.ListAsync("t", Ct)).Count);
        Assert.Single(await p.Checkpoints.ListAsync("u", Ct));
    }

    [Fact]
    public async Task Cleanup_ZeroKeepsNone_NegativeThrows()
    {
        var p = await OpenAsync();
        await p.Checkpoints.SaveAsync(Cp("a", "t", 1), Ct);
        await p.Checkpoints.SaveAsync(Cp("b", "t", 2), Ct);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Checkpoints.CleanupAsync("t", -1, Ct));
        Assert.Equal(2, (await p.Checkpoints.ListAsync("t", Ct)).Count);
        await p.Checkpoints.CleanupAsync("t", 0, Ct);
        Assert.Empty(await p.Checkpoints.ListAsync("t", Ct));
        await p.Checkpoints.CleanupAsync("never", 0, Ct);
    }

    [Fact]
    public async Task DeleteAll_RemovesOnlyTheTask()
    {
        var p = await OpenAsync();
        await p.Checkpoints.SaveAsync(Cp("a", "t", 1), Ct);
        await p.Checkpoints.SaveAsync(Cp("b", "t", 2), Ct);
        await p.Checkpoints.SaveAsync(Cp("c", "u", 1), Ct);
        await p.Checkpoints.DeleteAllAsync("t", Ct);
        await p.Checkpoints.DeleteAllAsync("t", Ct);
        Assert.Empty(await p.Checkpoints.ListAsync("t", Ct));
        Assert.Null(await p.Checkpoints.LoadAsync<int>("a", Ct));
        Assert.Equal("c", (await p.Checkpoints.LoadLatestAsync<int>("u", Ct))!.Id);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(int.MinValue)]
    public async Task Progress_OutOfRange_Throws(int progress)
    {
        var p = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Checkpoints.SaveAsync(Cp("c", "t", 1, progress), Ct));
        Assert.Null(await p.Checkpoints.LoadAsync<int>("c", Ct));
    }

    [Fact]
    public async Task Progress_Bounds_AreAccepted_NegativeEtaIsNot()
    {
        var p = await OpenAsync();
        await p.Checkpoints.SaveAsync(Cp("zero", "t", 1, 0), Ct);
        await p.Checkpoints.SaveAsync(Cp("hundred", "t", 2, 100), Ct);
        Assert.Equal(100, (await p.Checkpoints.LoadLatestAsync<int>("t", Ct))!.Progress);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await p.Checkpoints.SaveAsync(new Checkpoint<int>("n", "t", 3, Conformance.Backend.Start, 1, 1, TimeSpan.FromSeconds(-1)), Ct));
    }

    [Fact]
    public async Task Arguments_AreValidated()
    {
        var p = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Checkpoints.SaveAsync<int>(null!, Ct));
        foreach (var bad in new[] { null, "", "\uDFFF" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.SaveAsync(Cp(bad!, "t", 1), Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.SaveAsync(Cp("c", bad!, 1), Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.LoadAsync<int>(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.LoadLatestAsync<int>(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.ListAsync(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.ListAsync<int>(bad!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.CleanupAsync(bad!, 1, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Checkpoints.DeleteAllAsync(bad!, Ct));
        }
    }

    [Fact]
    public async Task CorruptRow_IsPayloadFormatException_NotAMiss()
    {
        var p = await OpenAsync("pre:");
        await Backend.PutRawCheckpointAsync(p, "bad", "t", 1, "[1,2");
        await p.Checkpoints.SaveAsync(Cp("good", "t", 0), Ct);
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Checkpoints.LoadLatestAsync<int>("t", Ct));
        Assert.Equal("bad", e.Key);
        Assert.Equal(typeof(int), e.PayloadType);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Checkpoints.LoadAsync<int>("bad", Ct));
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Checkpoints.ListAsync<int>("t", Ct));
        Assert.Equal(["good", "bad"], (await p.Checkpoints.ListAsync("t", Ct)).Select(c => c.Id));

        await p.Checkpoints.SaveAsync(new Checkpoint<string>("text", "s", 1, Conformance.Backend.Start, 0, "hello"), Ct);
        Assert.Equal(typeof(long), (await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Checkpoints.LoadLatestAsync<long>("s", Ct))).PayloadType);
    }

    [Fact]
    public async Task TaskAndCheckpointIds_AreTagged_SoConcatenationsDoNotCollide()
    {
        var a = await OpenAsync("a");
        await a.Checkpoints.SaveAsync(Cp("bc", "bc", 1), Ct);
        Assert.Empty(await a.Checkpoints.ListAsync("c", Ct));
        Assert.Null(await a.Checkpoints.LoadAsync<int>("c", Ct));
        await a.Cache.SetAsync("bc", 1, cancellationToken: Ct);
        Assert.Single(await a.Checkpoints.ListAsync("bc", Ct));
    }

    protected static Checkpoint<int> Cp(string id, string taskId, long sequence, int progress = 0) =>
        new(id, taskId, sequence, Conformance.Backend.Start, progress, (int)sequence);
}
