using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.Conformance;

namespace NativeAotPersistence.Tests.Helpers;

public sealed class CheckpointedTaskTests_Sqlite : CheckpointedTaskTests<SqliteFileBackend>;

public sealed class CheckpointedTaskTests_Postgres : CheckpointedTaskTests<PostgresBackend>;

/// <summary>CheckpointedTask over a database-backed checkpoint provider: a SQLite file, or PostgreSQL.</summary>
public abstract class CheckpointedTaskTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    private readonly TBackend _backend = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private IPersistenceAdapter _adapter = null!;

    public async ValueTask InitializeAsync() => _adapter = await _backend.OpenAsync(time: _time);

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private CheckpointedTaskOptions Options(int keep = 10) => new() { KeepCount = keep, TimeProvider = _time };

    [Fact]
    public async Task ATaskThatFailsAt60Percent_ResumesFromItsCheckpoint_AndIsCleanedUpOnSuccess()
    {
        // First run: 10 steps of 10 s each; it saves after every step and dies during step 7.
        await Assert.ThrowsAsync<IOException>(async () => await CheckpointedTask.RunAsync<int, int>(_adapter.Checkpoints, "import", async (ctx, ct) =>
        {
            Assert.False(ctx.IsResumed);
            for (var row = ctx.Data; row < 10; row++)
            {
                if (row == 6)
                {
                    throw new IOException("network down");
                }

                _time.Advance(TimeSpan.FromSeconds(10));
                await ctx.SaveAsync(row + 1, progress: (row + 1) * 10, ct);
            }

            return -1;
        }, Options()));

        var latest = await _adapter.Checkpoints.LoadLatestAsync<int>("import");
        Assert.NotNull(latest);
        Assert.Equal(6, latest.Data);
        Assert.Equal(60, latest.Progress);
        Assert.Equal(6, latest.Sequence);

        // 60 % in 60 s: 40 % more takes about 40 s. Never the original's constant 0.
        Assert.Equal(TimeSpan.FromSeconds(40), latest.EstimatedTimeRemaining);

        var seen = new List<(int Data, long Sequence, bool Resumed)>();
        var result = await CheckpointedTask.RunAsync<int, int>(_adapter.Checkpoints, "import", async (ctx, ct) =>
        {
            seen.Add((ctx.Data, ctx.Sequence, ctx.IsResumed));
            var rows = 0;
            for (var row = ctx.Data; row < 10; row++)
            {
                _time.Advance(TimeSpan.FromSeconds(5));
                await ctx.SaveAsync(row + 1, (row + 1) * 10, ct);
                rows++;
                if (row == 7)
                {
                    // Resumed at 60 %, 20 % in 10 s: the remaining 20 % take about 10 s.
                    Assert.Equal(TimeSpan.FromSeconds(10), ctx.EstimatedTimeRemaining);
                    Assert.Equal(8, ctx.Sequence);
                }
            }

            return rows;
        }, Options());

        Assert.Equal(4, result);
        Assert.Equal([(6, 6L, true)], seen);
        Assert.Empty(await _adapter.Checkpoints.ListAsync("import"));
    }

    [Fact]
    public async Task Cancellation_KeepsTheCheckpoints()
    {
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await CheckpointedTask.RunAsync<string, int>(_adapter.Checkpoints, "job", async (ctx, ct) =>
        {
            await ctx.SaveAsync("halfway", 50, ct);
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return 0;
        }, Options(), cts.Token));

        Assert.Equal("halfway", (await _adapter.Checkpoints.LoadLatestAsync<string>("job"))!.Data);
    }

    [Fact]
    public async Task KeepCount_KeepsOnlyTheLatestCheckpoints()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await CheckpointedTask.RunAsync<int, int>(_adapter.Checkpoints, "job", async (ctx, ct) =>
        {
            for (var i = 1; i <= 8; i++)
            {
                await ctx.SaveAsync(i, i * 10, ct);
            }

            throw new InvalidOperationException("stop");
        }, Options(keep: 3)));

        var list = await _adapter.Checkpoints.ListAsync("job");
        Assert.Equal([6L, 7L, 8L], list.Select(c => c.Sequence));
    }

    [Fact]
    public async Task AutoSave_SavesTheLastReportedState()
    {
        var options = new CheckpointedTaskOptions { AutoSaveInterval = TimeSpan.FromSeconds(60), TimeProvider = _time };
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await CheckpointedTask.RunAsync<int, int>(_adapter.Checkpoints, "job", (ctx, ct) =>
        {
            ctx.Report(1, 10);
            ctx.Report(2, 20);
            _time.Advance(TimeSpan.FromSeconds(60));
            ctx.Report(3, 30);
            throw new InvalidOperationException("crash before the next auto-save");
        }, options));

        // The auto-save runs off the timer, and RunAsync does not wait for one still in flight: on a server it is a
        // round trip that can land after RunAsync returned, so wait for it (bounded) before reading.
        for (var i = 0; i < 6000 && await _adapter.Checkpoints.LoadLatestAsync<int>("job") is null; i++)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var latest = await _adapter.Checkpoints.LoadLatestAsync<int>("job");
        Assert.Equal(2, latest!.Data);
        Assert.Equal(20, latest.Progress);
    }

    [Fact]
    public async Task ProgressIsReported()
    {
        var reports = new List<CheckpointProgress>();
        var options = new CheckpointedTaskOptions { TimeProvider = _time, Progress = new SyncProgress(reports.Add) };
        await CheckpointedTask.RunAsync<int, int>(_adapter.Checkpoints, "job", async (ctx, ct) =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await ctx.SaveAsync(1, 50, ct);
            _time.Advance(TimeSpan.FromSeconds(1));
            await ctx.SaveAsync(2, 100, ct);
            return 0;
        }, options);

        Assert.Equal(
            [new CheckpointProgress("job", 1, 50, TimeSpan.FromSeconds(1)), new CheckpointProgress("job", 2, 100, TimeSpan.Zero)],
            reports);
    }

    private sealed class SyncProgress(Action<CheckpointProgress> report) : IProgress<CheckpointProgress>
    {
        public void Report(CheckpointProgress value) => report(value);
    }
}
