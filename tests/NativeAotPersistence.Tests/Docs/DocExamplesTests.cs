using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace NativeAotPersistence.Tests.Docs;

/// <summary>
/// The examples of docs/, compiled and run: each <c>// snippet: Name</c> region is word for word the block the page
/// marks with that name (<see cref="DocSnippetTests"/> checks it). The provider examples run on SQLite here and on
/// PostgreSQL in <see cref="ReadmeExamplesPostgresTests"/>.
/// </summary>
public sealed partial class DocExamplesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Providers_OnSqlite()
    {
        using var dir = new TempDirectory();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default });
        await ProvidersAsync(p);
    }

    [Fact]
    public async Task Helpers_OnSqlite()
    {
        using var dir = new TempDirectory();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default });
        await HelpersAsync(p);
    }

    /// <summary>The provider pages' examples (cache, locks, circuit state, checkpoints, idempotency).</summary>
    internal static async Task ProvidersAsync(IPersistenceAdapter p)
    {
        var profile = new Receipt("profile-7", 0m);
        await p.Cache.SetAsync("counter", 3, cancellationToken: Ct);

        // snippet: CacheProvider
        // Cache: millisecond TTLs; Add stores only where no live entry exists; TryGet tells a stored null/0 from a miss.
        await p.Cache.SetAsync("user:7", profile, TimeSpan.FromMilliseconds(250));
        bool added = await p.Cache.AddAsync("user:7", profile);                      // false: a live entry exists
        CacheLookup<int> hit = await p.Cache.TryGetAsync<int>("counter");            // hit.Found, hit.Value
        IReadOnlyList<string> users = await p.Cache.KeysAsync("user:*");             // * and ?, everything else literal; ordinal order
        // Sliding expiry: every hit (and RefreshAsync) renews it, never past the absolute expiry.
        await p.Cache.SetAsync("session:9", profile, new CacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(20),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(8),
        });
        // end snippet

        Assert.False(added);
        Assert.Equal((true, 3), (hit.Found, hit.Value));
        Assert.Equal(["user:7"], users);
        Assert.Equal(profile, await p.Cache.GetAsync<Receipt>("session:9", Ct));

        {
            // snippet: LockProvider
            // Locks: LockScope.Database (the default: a row, so every process using the store is excluded) or
            // LockScope.Process (opt-in: in memory, this adapter only). TTLs are finite, at most 30 days.
            await using var handle = await p.Locks.AcquireAsync("report", TimeSpan.FromSeconds(30), owner: "worker-1");
            // null if another owner holds it; the same owner re-acquiring gets a fresh TTL (re-entrant, not counted)
            // handle.FencingToken strictly increases each time the key changes hands; handle.HandleLost fires when it is lost
            bool extended = await p.Locks.ExtendAsync("report", TimeSpan.FromSeconds(30), "worker-1");  // never revives an expired lock
            // end snippet

            Assert.NotNull(handle);
            Assert.True(extended);
            Assert.Null(await p.Locks.AcquireAsync("report", TimeSpan.FromSeconds(30), owner: "worker-2", Ct));
        }

        // snippet: CircuitStateProvider
        // Circuit-breaker state: RecordFailure is one atomic statement; N concurrent failures from any process add exactly N.
        int count = await p.CircuitBreakers.RecordFailureAsync("payments", maxFailures: 5);   // 'open' once count >= 5
        await p.CircuitBreakers.RecordSuccessAsync("payments");                               // closed, 0, keeps last failure time
        // end snippet

        Assert.Equal(1, count);
        Assert.Equal(CircuitState.Closed, (await p.CircuitBreakers.GetStateAsync("payments", Ct))!.State);

        var state = new ImportState(NextRow: 700);

        // snippet: CheckpointProvider
        // Checkpoints: upsert by id; latest = highest sequence; Cleanup keeps the N highest.
        await p.Checkpoints.SaveAsync(new Checkpoint<ImportState>("import#7", "import", 7, DateTimeOffset.UtcNow, 70, state, TimeSpan.FromMinutes(2)));
        Checkpoint<ImportState>? latest = await p.Checkpoints.LoadLatestAsync<ImportState>("import");
        await p.Checkpoints.CleanupAsync("import", keepCount: 3);
        // end snippet

        Assert.Equal(700, latest!.Data.NextRow);

        var receipt = new Receipt("r-42", 19.90m);

        // snippet: IdempotencyProvider
        // Idempotency records: value + expiry.
        await p.Idempotency.SetAsync("charge:42", receipt, TimeSpan.FromHours(24));
        IdempotencyRecord<Receipt>? record = await p.Idempotency.GetAsync<Receipt>("charge:42");
        // end snippet

        Assert.Equal(receipt, record!.Value);
    }

    /// <summary>The helpers on those pages (GetOrSetAsync, waiting and auto-renewed locks, CircuitBreaker, CheckpointedTask, ExecuteOnceAsync).</summary>
    internal static async Task HelpersAsync(IPersistenceAdapter p)
    {
        var ct = Ct;
        var payments = new Payments();
        var order = new OrderState("order-42", 19.90m, ["book"]);

        // snippet: GetOrSet
        var profile = await p.Cache.GetOrSetAsync("user:7", async ct => await LoadProfileAsync(7, ct), TimeSpan.FromMinutes(10), ct);
        // end snippet
        Assert.Equal("profile-7", profile);

        var rates = new Rates();

        // snippet: GetOrSetResilience
        var options = new GetOrSetOptions
        {
            Entry = new CacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5),
                FailSafeMaxDuration = TimeSpan.FromHours(2),      // kept 2 h past its expiry, for GetOrSet alone
                Tags = ["rates"],
            },
            FactorySoftTimeout = TimeSpan.FromMilliseconds(200),  // with a stale value in hand, wait at most 200 ms for a fresh one
            FactoryHardTimeout = TimeSpan.FromSeconds(10),        // then give up on the source (the token is cancelled)
            EagerRefreshThreshold = 0.8,                          // a hit after 4 of the 5 minutes refreshes it in the background
        };
        GetOrSetResult<decimal> rate = await p.Cache.GetOrSetResultAsync("rate:EUR", async ct => await rates.GetAsync("EUR", ct), options, cancellationToken: ct);
        if (rate.IsStale)
        {
            Console.WriteLine($"EUR rate from {rate.ExpiredAt:t} (the source failed: {rate.Error!.Message})");
        }
        // end snippet
        Assert.Equal((1.08m, GetOrSetSource.Factory), (rate.Value, rate.Source));
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("rates", ct));

        // snippet: CacheTags
        await p.Cache.SetAsync("product:1", "lamp", new CacheEntryOptions { Tags = ["tenant:7", "catalog"], SlidingExpiration = TimeSpan.FromMinutes(5) }, ct);
        await p.Cache.SetAsync("product:2", "desk", new CacheEntryOptions { Tags = ["tenant:7", "catalog"] }, ct);
        await p.Cache.SetAsync("invoice:9", 99.5m, new CacheEntryOptions { Tags = ["tenant:7"] }, ct);
        int removed = await p.Cache.RemoveByTagAsync("catalog", ct);   // 2: both products, gone for every process
        // end snippet
        Assert.Equal(2, removed);
        Assert.Equal(99.5m, await p.Cache.GetAsync<decimal>("invoice:9", ct));
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("tenant:7", ct));

        // snippet: CacheSetMany
        var prices = Enumerable.Range(1, 500).Select(i => KeyValuePair.Create($"price:{i}", i * 0.25m));
        await p.Cache.SetManyAsync(prices, TimeSpan.FromHours(1), ct);   // one transaction: all 500 or none
        // end snippet
        Assert.Equal(125m, await p.Cache.GetAsync<decimal>("price:500", ct));
        Assert.Equal(500, (await p.Cache.KeysAsync("price:*", ct)).Count);

        {
            // snippet: LockHelpers
            await using var report = await p.Locks.AcquireAsync("report", TimeSpan.FromSeconds(30), wait: TimeSpan.FromSeconds(10), ct);
            // polls with jittered exponential backoff; null when the wait runs out; the token cancels the wait

            await using var job = await p.Locks.AcquireAsync("nightly", new LockOptions { AutoExtend = true, Wait = TimeSpan.FromMinutes(1) }, ct);
            // renewed a third of its TTL after each grant; job.HandleLost fires if a renewal is overdue, fails, or finds it taken over
            // end snippet

            Assert.NotNull(report);
            Assert.False(job!.HandleLost.IsCancellationRequested);
        }

        {
            // snippet: SemaphoreProvider
            // Semaphores: at most 3 holders of "exports" at once, across every process (and, on PostgreSQL, machine).
            await using var permit = await p.Semaphores.AcquireAsync("exports", 3, TimeSpan.FromMinutes(1), owner: "worker-1");
            // null when all 3 are held by others; each permit is a lease like a lock: FencingToken, HandleLost, ExtendAsync
            SemaphoreInfo? exports = await p.Semaphores.GetInfoAsync("exports");   // the limit and the live holders

            await using var waited = await p.Semaphores.AcquireAsync("exports", 3,
                new LockOptions { AutoExtend = true, Wait = TimeSpan.FromSeconds(30) }, ct);
            // waits with backoff for a permit, then renews it until released; asking with another limit while permits
            // are live is an ArgumentException (the next grant after the last release sets a new one)
            // end snippet

            Assert.Equal(3, exports!.Permits);
            Assert.Equal(["worker-1"], exports.Holders.Select(h => h.Owner));
            Assert.NotNull(waited);
        }

        // snippet: CircuitBreakerHelper
        var breaker = new CircuitBreaker(p.CircuitBreakers, "payments", new CircuitBreakerOptions
        {
            FailureThreshold = 5, ResetTimeout = TimeSpan.FromSeconds(30), SuccessThreshold = 1, HalfOpenMaxTrials = 1,
            ShouldHandle = e => e is HttpRequestException or TimeoutException,
            OnStateChanged = t => Console.WriteLine($"{t.Key}: {t.From} -> {t.To}"),
        });
        var receipt = await breaker.ExecuteAsync(async ct => await payments.ChargeAsync(order, ct), ct);
        // open: CircuitBreakerOpenException { Key, RetryAfter (TimeSpan), RetryAt } until ResetTimeout has passed since the last failure;
        // then half-open admits HalfOpenMaxTrials trial calls; SuccessThreshold successes close it, a trial failure reopens it.
        // end snippet

        Assert.Equal("r-order-42", receipt.Id);
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<Receipt>(_ => throw new TimeoutException(), ct));
        }

        var open = await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(async ct => await payments.ChargeAsync(order, ct), ct));
        Assert.True(open.RetryAfter > TimeSpan.Zero);
        await p.CircuitBreakers.RecordSuccessAsync("payments", ct);

        // snippet: FleetBreaker
        var search = new CircuitBreaker(p.CircuitBreakers, "search", new CircuitBreakerOptions
        {
            FailureRatio = 0.5, SamplingDuration = TimeSpan.FromSeconds(30), MinimumThroughput = 20,   // one window for the fleet
            ResetTimeout = TimeSpan.FromSeconds(5),
            BreakDurationGenerator = a => ValueTask.FromResult(TimeSpan.FromSeconds(Math.Min(300, 5 << Math.Min(a.ReopenCount, 6)))),
            HalfOpenMaxTrials = 2, SuccessThreshold = 2,                                              // across every process
        });
        await search.IsolateAsync(ct);   // every process: CircuitBreakerOpenException { IsIsolated: true, RetryAfter: InfiniteTimeSpan }
        await search.CloseAsync(ct);     // every process: closed, its window, trials and re-open count reset
        // end snippet

        Assert.Equal(1, await search.ExecuteAsync(_ => ValueTask.FromResult(1), ct));
        await search.IsolateAsync(ct);
        var isolated = await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await search.ExecuteAsync(_ => ValueTask.FromResult(1), ct));
        Assert.True(isolated.IsIsolated);
        Assert.Equal(Timeout.InfiniteTimeSpan, isolated.RetryAfter);
        await search.CloseAsync(ct);

        const int total = 1000;

        // snippet: CheckpointedTask
        int rows = await CheckpointedTask.RunAsync<ImportState, int>(p.Checkpoints, "import-2026-11", async (ctx, ct) =>
        {
            var state = ctx.Data ?? new ImportState(NextRow: 0);          // ctx.IsResumed, ctx.Sequence, ctx.Progress
            while (state.NextRow < total)
            {
                state = await ImportBatchAsync(state, ct);
                await ctx.SaveAsync(state, progress: (int)(100L * state.NextRow / total), ct);   // ctx.EstimatedTimeRemaining
            }
            return state.NextRow;
        }, new CheckpointedTaskOptions { KeepCount = 10, AutoSaveInterval = TimeSpan.FromSeconds(60) }, ct);
        // ctx.Report(state, progress) records state for AutoSaveInterval; Options.Progress receives every save
        // end snippet

        Assert.Equal(total, rows);

        // snippet: ExecuteOnce
        var charge = await p.Idempotency.ExecuteOnceAsync("charge:order-42", TimeSpan.FromHours(24),
            async ct => await payments.ChargeAsync(order, idempotencyKey: "order-42", ct), ct);
        // end snippet

        Assert.Equal("r-order-42", charge.Id);
        Assert.Equal(charge, await p.Idempotency.ExecuteOnceAsync("charge:order-42", TimeSpan.FromHours(24), _ => ValueTask.FromResult(new Receipt("other", 0m)), ct));
        Assert.Equal(1, payments.Calls(idempotencyKey: "order-42"));
    }

    [Fact]
    public async Task Compaction()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider();
        await using var persistence = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { TimeProvider = time });
        for (var i = 0; i < 2_000; i++)
        {
            await persistence.Cache.SetAsync("k" + i, new string('v', 500), i < 100 ? null : TimeSpan.FromMinutes(1), Ct);
        }

        time.Advance(TimeSpan.FromMinutes(2));

        // snippet: Compaction
        PruneResult pruned = await persistence.PruneAsync();                // deletes expired rows: the file keeps its size
        CompactResult compacted = await persistence.Admin.CompactAsync();   // gives their space back (VACUUM on SQLite)
        // compacted.SizeBefore and .SizeAfter in bytes, .Elapsed; .IsComplete is false if a reader kept an old snapshot
        // end snippet

        Assert.Equal(1_900, pruned.Cache);
        Assert.True(compacted.IsComplete);
        Assert.True(compacted.SizeAfter < compacted.SizeBefore / 4, $"{compacted.SizeBefore:N0} -> {compacted.SizeAfter:N0}");
        Assert.Equal(100, (await persistence.Cache.KeysAsync(cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task InMemory()
    {
        var fakeTime = new FakeTimeProvider();

        // snippet: InMemory
        var store = new InMemoryStore();
        await using var a = new InMemoryPersistence(new PersistenceAdapterOptions { KeyPrefix = "a:", TimeProvider = fakeTime }, store);
        await a.ConnectAsync();
        // end snippet

        await using var b = new InMemoryPersistence(new PersistenceAdapterOptions { KeyPrefix = "a:", TimeProvider = fakeTime }, store);
        await b.ConnectAsync();
        await a.Cache.SetAsync("k", 1, TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(1, await b.Cache.GetAsync<int>("k", Ct));
        fakeTime.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await b.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task BorrowedHandle()
    {
        using var dir = new TempDirectory();
        var path = dir.File("app.db");

        // snippet: BorrowedHandle
        SQLitePCL.Batteries_V2.Init();
        SQLitePCL.raw.sqlite3_open(path, out SQLitePCL.sqlite3 db);
        await using var persistence = new SqliteAdapter(db, new PersistenceAdapterOptions { KeyPrefix = "myapp:" });
        await persistence.ConnectAsync();   // creates the tables, validates the schema version
        // end snippet

        await persistence.Cache.SetAsync("k", "v", cancellationToken: Ct);
        await persistence.DisposeAsync();

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
    public async Task Polly()
    {
        using var dir = new TempDirectory();
        await using var p = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default });
        var ct = Ct;
        var payments = new Payments();
        var order = new OrderState("order-42", 19.90m, ["book"]);

        // snippet: Polly
        var pipeline = new ResiliencePipelineBuilder<Receipt>()
            .AddTimeout(TimeSpan.FromSeconds(10))
            .AddPersistentCircuitBreaker(p.CircuitBreakers, "payments", new PersistentCircuitBreakerOptions<Receipt>
            {
                FailureThreshold = 5, ResetTimeout = TimeSpan.FromSeconds(30), SuccessThreshold = 1, HalfOpenMaxTrials = 1,
                ShouldHandle = new PredicateBuilder<Receipt>().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
                OnStateChanged = args =>
                {
                    Console.WriteLine($"{args.Transition.Key}: {args.Transition.From} -> {args.Transition.To}");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        var receipt = await pipeline.ExecuteAsync(async ct => await payments.ChargeAsync(order, ct), ct);
        // open: PersistentBrokenCircuitException — a Polly BrokenCircuitException, with Key and RetryAt besides RetryAfter
        // end snippet

        Assert.Equal("r-order-42", receipt.Id);
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(async () => await pipeline.ExecuteAsync<Receipt>(_ => throw new HttpRequestException("down"), ct));
        }

        var open = await Assert.ThrowsAsync<PersistentBrokenCircuitException>(async () => await pipeline.ExecuteAsync(async ct => await payments.ChargeAsync(order, ct), ct));
        Assert.IsAssignableFrom<BrokenCircuitException>(open);
        Assert.Equal("payments", open.Key);
    }

    [Fact]
    public async Task Telemetry()
    {
        using var dir = new TempDirectory();
        await using var store = await SqliteAdapter.OpenAsync(dir.File("app.db"), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default });
        var before = PersistenceTelemetry.SlowOperationThreshold;
        try
        {
            // snippet: Telemetry
            PersistenceTelemetry.SlowOperationThreshold = TimeSpan.FromMilliseconds(20);   // Zero: every operation; Timeout.InfiniteTimeSpan: only on demand
            using (PersistenceTelemetry.TraceOperations())                                  // on demand: this flow, however fast
            {
                await store.Cache.GetAsync<Order>("order:42");
            }
            // end snippet
        }
        finally
        {
            PersistenceTelemetry.SlowOperationThreshold = before;
        }
    }
}
