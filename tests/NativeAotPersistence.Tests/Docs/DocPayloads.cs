using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace NativeAotPersistence.Tests.Docs;

internal sealed record OrderState(string Id, decimal Total, List<string> Lines);

internal sealed record ImportState(int NextRow);

internal sealed record Receipt(string Id, decimal Amount);

[Payload(typeof(OrderState))]
[Payload(typeof(ImportState))]
[Payload(typeof(Receipt))]
internal sealed partial class ReadmePayloads : PayloadContext;

/// <summary>The README's examples, compiled and run, so the documentation cannot drift from the API.</summary>
public sealed class ReadmeExamplesTests
{
    [Fact]
    public async Task QuickStart()
    {
        using var dir = new TempDirectory();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions
        {
            KeyPrefix = "myapp:",
            Payloads = ReadmePayloads.Default,
        });
        await QuickStartAsync(p);
    }

    /// <summary>The quick start after its open line; PostgreSQL runs it too (the "one-line change" of scaling out).</summary>
    internal static async Task QuickStartAsync(IPersistenceAdapter p)
    {
        await p.Cache.SetAsync("order:42", new OrderState("42", 19.90m, ["book"]), TimeSpan.FromMinutes(5));
        OrderState? order = await p.Cache.GetAsync<OrderState>("order:42");
        Assert.Equal(["book"], order!.Lines);

        int failures = await p.CircuitBreakers.RecordFailureAsync("payments", maxFailures: 5);
        Assert.Equal(1, failures);

        await using (var handle = await p.Locks.AcquireAsync("nightly-report", TimeSpan.FromSeconds(30)))
        {
            Assert.NotNull(handle);
        }

        await p.Checkpoints.SaveAsync(new Checkpoint<int>("import-1", "import", Sequence: 1,
            Timestamp: DateTimeOffset.UtcNow, Progress: 40, Data: 4000));
        var latest = await p.Checkpoints.LoadLatestAsync<int>("import");
        Assert.Equal(4000, latest!.Data);

        await p.Idempotency.SetAsync("charge:42", "receipt-123", TimeSpan.FromHours(24));
        Assert.Equal("receipt-123", (await p.Idempotency.GetAsync<string>("charge:42"))!.Value);
    }

    [Fact]
    public async Task SeedStyle_BorrowedHandle()
    {
        using var dir = new TempDirectory();
        SQLitePCL.Batteries_V2.Init();
        SQLitePCL.raw.sqlite3_open(dir.File("app.db"), out SQLitePCL.sqlite3 db);
        await using (var persistence = new SqliteAdapter(db, new PersistenceAdapterOptions { KeyPrefix = "myapp:" }))
        {
            await persistence.ConnectAsync();
            await persistence.Cache.SetAsync("k", "v");
            Assert.Equal("v", await persistence.Cache.GetAsync<string>("k"));
        }

        // The adapter borrowed the handle: it is still open, and the row is there, under the prefix, as JSON text.
        Assert.Equal(SQLitePCL.raw.SQLITE_OK, SQLitePCL.raw.sqlite3_prepare_v2(db, "SELECT value FROM go_goscope_cache WHERE key = 'myapp:cache:k'", out var statement));
        using (statement)
        {
            Assert.Equal(SQLitePCL.raw.SQLITE_ROW, SQLitePCL.raw.sqlite3_step(statement));
            Assert.Equal("\"v\"", SQLitePCL.raw.sqlite3_column_text(statement, 0).utf8_to_string());
        }

        Assert.Equal(SQLitePCL.raw.SQLITE_OK, SQLitePCL.raw.sqlite3_close_v2(db));
        db.Dispose();
    }

    [Fact]
    public async Task Helpers()
    {
        using var dir = new TempDirectory();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default, LockScope = LockScope.Database });
        await HelpersAsync(p);
    }

    /// <summary>The helpers section after its open line; PostgreSQL runs it too.</summary>
    internal static async Task HelpersAsync(IPersistenceAdapter p)
    {
        var ct = TestContext.Current.CancellationToken;

        var transitions = new List<string>();
        var breaker = new CircuitBreaker(p.CircuitBreakers, "payments", new CircuitBreakerOptions
        {
            FailureThreshold = 5, ResetTimeout = TimeSpan.FromSeconds(30), SuccessThreshold = 1, HalfOpenMaxTrials = 1,
            ShouldHandle = e => e is HttpRequestException or TimeoutException,
            OnStateChanged = t => transitions.Add($"{t.Key}: {t.From} -> {t.To}"),
        });
        var receipt = await breaker.ExecuteAsync(async ct => await ChargeAsync(ct), ct);
        Assert.Equal("r-1", receipt.Id);
        Assert.Empty(transitions);

        // Five handled failures open it; the next call is rejected until the reset timeout.
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<Receipt>(_ => throw new TimeoutException(), ct));
        }

        Assert.Equal(["payments: Closed -> Open"], transitions);
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(async ct => await ChargeAsync(ct), ct));
        await p.CircuitBreakers.RecordSuccessAsync("payments", ct);

        await using (var report = await p.Locks.AcquireAsync("report", TimeSpan.FromSeconds(30), wait: TimeSpan.FromSeconds(10), ct))
        {
            Assert.NotNull(report);
        }

        await using (var job = await p.Locks.AcquireAsync("nightly", new LockOptions { AutoExtend = true, Wait = TimeSpan.FromMinutes(1) }, ct))
        {
            Assert.False(job!.HandleLost.IsCancellationRequested);
        }

        const int total = 1000;
        int rows = await CheckpointedTask.RunAsync<ImportState, int>(p.Checkpoints, "import-2026-11", async (ctx, ct) =>
        {
            var state = ctx.Data ?? new ImportState(NextRow: 0);
            while (state.NextRow < total)
            {
                state = state with { NextRow = state.NextRow + 250 };
                await ctx.SaveAsync(state, progress: (int)(100L * state.NextRow / total), ct);
            }

            return state.NextRow;
        }, new CheckpointedTaskOptions { KeepCount = 10, AutoSaveInterval = TimeSpan.FromSeconds(60) }, ct);
        Assert.Equal(total, rows);

        var charge = await p.Idempotency.ExecuteOnceAsync("charge:order-42", TimeSpan.FromHours(24),
            async ct => await ChargeAsync(ct), ct);
        Assert.Equal("r-1", charge.Id);

        var profile = await p.Cache.GetOrSetAsync("user:7", async ct => await LoadProfileAsync(7, ct), TimeSpan.FromMinutes(10), ct);
        Assert.Equal("profile-7", profile);
    }

    [Fact]
    public async Task Ecosystem_Polly()
    {
        using var dir = new TempDirectory();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"));
        var ct = TestContext.Current.CancellationToken;
        var transitions = new List<string>();

        var pipeline = new ResiliencePipelineBuilder<Receipt>()
            .AddTimeout(TimeSpan.FromSeconds(10))
            .AddPersistentCircuitBreaker(p.CircuitBreakers, "payments", new PersistentCircuitBreakerOptions<Receipt>
            {
                FailureThreshold = 5, ResetTimeout = TimeSpan.FromSeconds(30), SuccessThreshold = 1, HalfOpenMaxTrials = 1,
                ShouldHandle = new PredicateBuilder<Receipt>().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
                OnStateChanged = args =>
                {
                    transitions.Add($"{args.Transition.Key}: {args.Transition.From} -> {args.Transition.To}");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        var receipt = await pipeline.ExecuteAsync(async ct => await ChargeAsync(ct), ct);
        Assert.Equal("r-1", receipt.Id);

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(async () => await pipeline.ExecuteAsync<Receipt>(_ => throw new HttpRequestException("down"), ct));
        }

        var open = await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(async ct => await ChargeAsync(ct), ct));
        Assert.IsAssignableFrom<BrokenCircuitException>(open);
        Assert.Equal("payments", open.Key);
        Assert.Equal(["payments: Closed -> Open"], transitions);
    }

    private static async ValueTask<Receipt> ChargeAsync(CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        return new Receipt("r-1", 19.90m);
    }

    private static ValueTask<string> LoadProfileAsync(int id, CancellationToken ct) =>
        ValueTask.FromResult($"profile-{id}");
}
