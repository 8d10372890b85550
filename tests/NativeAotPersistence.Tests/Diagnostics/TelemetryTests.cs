using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.PostgreSql;
using NativeAotPersistence.Tests.Sqlite;

namespace NativeAotPersistence.Tests.Diagnostics;

[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryRunsAlone;

/// <summary>
/// The meter and activity source move as documented. The listeners are process-wide, so this class runs alone
/// (no other test emits while it counts) and every count is exact.
/// </summary>
[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));

    public TelemetryTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PersistenceTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _dir.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }

    private double Sum(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_measurements)
        {
            return _measurements
                .Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value)))
                .Sum(m => m.Value);
        }
    }

    private PersistenceAdapterOptions Options => new() { TimeProvider = _time };

    [Fact]
    public async Task AListenerThatThrowsOnAGroupsSize_DoesNotMakeTheCommittedGroupRunAgain()
    {
        using var thrower = new MeterListener();
        thrower.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument is { Name: "nap.group_commit.writes", Meter.Name: PersistenceTelemetry.Name })
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        thrower.SetMeasurementEventCallback<int>((_, _, _, _) => throw new InvalidOperationException("a listener's bug"));
        thrower.Start();
        await using var p = await SqliteAdapter.OpenAsync(_dir.File("g.db"), Options);

        // Queued behind the held writer, the failures commit as a group: each must count once.
        var gate = p.Pool.Writer.Gate;
        await gate.WaitAsync(Ct);
        Task<int>[] failures;
        try
        {
            failures = Enumerable.Range(0, 10).Select(_ => p.CircuitBreakers.RecordFailureAsync("c", 100, Ct).AsTask()).ToArray();
        }
        finally
        {
            gate.Release();
        }

        Assert.Equal(Enumerable.Range(1, 10), (await Task.WhenAll(failures)).Order());
        Assert.Equal(10, (await p.CircuitBreakers.GetStateAsync("c", Ct))!.FailureCount);
    }

    [Fact]
    public async Task CacheLookups_AreCountedByBackendAndOutcome()
    {
        await using var sqlite = await SqliteAdapter.OpenAsync(_dir.File("t.db"), Options);
        await using var memory = new InMemoryPersistence(Options);
        await memory.ConnectAsync(Ct);
        await CountLookupsAsync(sqlite, memory);

        // A second hit on one backend only: the counts are per backend.
        await sqlite.Cache.GetAsync<int>("k", Ct);
        AssertLookups("sqlite", hits: 3, misses: 1, expired: 2);
        AssertLookups("in-memory", hits: 2, misses: 1, expired: 2);
    }

    [Fact]
    public async Task CacheLookups_OnPostgreSql_TellExpiredEntriesFromMissingOnes()
    {
        await using var postgres = await PostgresAdapter.OpenAsync(await PostgresServer.CreateSchemaAsync(), Options, Ct);
        await CountLookupsAsync(postgres);
        AssertLookups("postgresql", hits: 2, misses: 1, expired: 2);
    }

    /// <summary>On each adapter: two hits, a miss, and two gets of an entry that expired but was not reclaimed.</summary>
    private async Task CountLookupsAsync(params IPersistenceAdapter[] adapters)
    {
        foreach (var p in adapters)
        {
            await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
            await p.Cache.SetAsync("old", 2, TimeSpan.FromSeconds(1), Ct);
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        foreach (var p in adapters)
        {
            Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
            Assert.True((await p.Cache.TryGetAsync<int>("k", Ct)).Found);
            Assert.Equal(0, await p.Cache.GetAsync<int>("missing", Ct));
            Assert.Equal(0, await p.Cache.GetAsync<int>("old", Ct));
            Assert.False((await p.Cache.TryGetAsync<int>("old", Ct)).Found);
        }
    }

    private void AssertLookups(string backend, int hits, int misses, int expired)
    {
        Assert.Equal(hits, Sum("nap.cache.lookups", ("nap.backend", backend), ("nap.outcome", "hit")));
        Assert.Equal(misses, Sum("nap.cache.lookups", ("nap.backend", backend), ("nap.outcome", "miss")));
        Assert.Equal(expired, Sum("nap.cache.lookups", ("nap.backend", backend), ("nap.outcome", "expired")));
    }

    [Fact]
    public async Task BusyWaits_AreCounted_WhenAnotherConnectionHoldsTheWriteLock()
    {
        var path = _dir.File("busy.db");
        await using var p = await SqliteAdapter.OpenAsync(path, Options);
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("BEGIN IMMEDIATE");
            var write = p.Cache.SetAsync("k", 1, cancellationToken: Ct).AsTask();
            await Task.Delay(200, Ct);
            Assert.False(write.IsCompleted);
            raw.Exec("COMMIT");
            await write;
        }

        Assert.True(Sum("nap.busy_waits", ("nap.backend", "sqlite"), ("nap.operation", "cache.set")) >= 1);
    }

    [Fact]
    public async Task CircuitTransitions_PayloadErrors_AndLostLocks_AreCounted()
    {
        await using var p = await SqliteAdapter.OpenAsync(_dir.File("t.db"), Options);
        var breaker = new CircuitBreaker(p.CircuitBreakers, "upstream", new CircuitBreakerOptions { FailureThreshold = 1, TimeProvider = _time });
        await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct));
        Assert.Equal(1, Sum("nap.circuit.transitions", ("nap.circuit.from", "closed"), ("nap.circuit.to", "open")));

        // The store's clock decides the break: past it, one trial is granted, another rejected, and the first fails.
        _time.Advance(TimeSpan.FromMinutes(1));
        var trial = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = breaker.ExecuteAsync(_ => new ValueTask<int>(trial.Task), Ct).AsTask();
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(async () => await breaker.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
        trial.SetException(new TimeoutException());
        await Assert.ThrowsAsync<TimeoutException>(() => running);
        Assert.Equal(
            (1, 1, 1),
            (Sum("nap.circuit.trials", ("nap.outcome", "granted")), Sum("nap.circuit.trials", ("nap.outcome", "rejected")), Sum("nap.circuit.trials", ("nap.outcome", "failed"))));

        await p.Cache.SetAsync("text", "not a number", cancellationToken: Ct);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("text", Ct));
        Assert.Equal(1, Sum("nap.payload.format_errors", ("nap.operation", "cache.get")));

        var kept = await p.Locks.AcquireAsync("kept", TimeSpan.FromSeconds(1), "me", Ct);
        var lost = await p.Locks.AcquireAsync("lost", TimeSpan.FromSeconds(1), "me", Ct);
        _ = lost!.HandleLost;
        await kept!.ReleaseAsync(Ct);
        _ = kept.HandleLost;
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(lost.HandleLost.IsCancellationRequested);
        Assert.Equal(1, Sum("nap.lock.lost"));
    }

    [Fact]
    public async Task LockWaits_AreMeasured_AndTraced()
    {
        using var activities = new ActivityCollector();
        await using var p = await SqliteAdapter.OpenAsync(_dir.File("t.db"), new PersistenceAdapterOptions());
        await using var holder = await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "holder", Ct);
        Assert.Null(await p.Locks.AcquireAsync("job", new LockOptions { Wait = TimeSpan.FromMilliseconds(50), Owner = "waiter" }, Ct));
        await using var free = await p.Locks.AcquireAsync("free", new LockOptions { Wait = TimeSpan.FromSeconds(5) }, Ct);

        lock (_measurements)
        {
            Assert.Single(_measurements, m => m.Instrument == "nap.lock.wait" && Equals(m.Tags["nap.outcome"], "timed_out") && m.Value >= 0.04);
            Assert.Single(_measurements, m => m.Instrument == "nap.lock.wait" && Equals(m.Tags["nap.outcome"], "acquired"));
        }

        Assert.Equal(["timed_out", "acquired"], activities.Stopped.Where(a => a.OperationName == "nap.lock.wait").Select(a => a.GetTagItem("nap.outcome")));
    }

    [Fact]
    public async Task ExecuteOnce_And_CheckpointedTasks_AreTraced_OnlyWhenTheyRun()
    {
        using var activities = new ActivityCollector();
        await using var p = await SqliteAdapter.OpenAsync(_dir.File("t.db"), Options);
        Assert.Equal(7, await p.Idempotency.ExecuteOnceAsync("pay:1", null, _ => ValueTask.FromResult(7), Ct));
        Assert.Equal(7, await p.Idempotency.ExecuteOnceAsync("pay:1", null, _ => ValueTask.FromResult(8), Ct));
        await CheckpointedTask.RunAsync<int, int>(p.Checkpoints, "import", async (context, ct) =>
        {
            await context.SaveAsync(1, 50, ct);
            return 1;
        }, cancellationToken: Ct);

        var once = Assert.Single(activities.Stopped, a => a.OperationName == "nap.execute_once");
        Assert.Equal("pay:1", once.GetTagItem("nap.idempotency.key"));
        var task = Assert.Single(activities.Stopped, a => a.OperationName == "nap.checkpointed_task");
        Assert.Equal("import", task.GetTagItem("nap.checkpoint.task_id"));
    }

    [Fact]
    public async Task Operations_AreTraced_InsideATraceOperationsScope_AndNotOutside()
    {
        using var activities = new ActivityCollector();
        using var threshold = new ThresholdScope(Timeout.InfiniteTimeSpan);
        await using var p = await SqliteAdapter.OpenAsync(_dir.File("t.db"), Options);
        await p.Cache.SetAsync("before", 1, cancellationToken: Ct);
        using (PersistenceTelemetry.TraceOperations())
        {
            await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
            await p.Cache.GetAsync<int>("k", Ct);
            await p.CircuitBreakers.RecordFailureAsync("upstream", 5, Ct);
            await p.Cache.SetAsync("text", "not a number", cancellationToken: Ct);
            await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("text", Ct));
        }

        await p.Cache.GetAsync<int>("after", Ct);

        Assert.Equal(
            ["nap.cache.set", "nap.cache.get", "nap.circuit.record_failure", "nap.cache.set", "nap.cache.get"],
            activities.Operations.Select(a => a.OperationName));
        Assert.All(activities.Operations, a =>
        {
            Assert.Equal("sqlite", a.GetTagItem("db.system.name"));
            Assert.Equal(a.OperationName, "nap." + a.GetTagItem("nap.operation"));
            Assert.Equal(ActivityKind.Internal, a.Kind);
        });
        var failed = activities.Operations[^1];
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("PayloadFormat", failed.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, activities.Operations[1].Status);
    }

    [Fact]
    public async Task SlowOperations_AreTraced_FromTheirRealStart_AndFastOnesAreNot()
    {
        using var activities = new ActivityCollector();
        using var threshold = new ThresholdScope(TimeSpan.FromMilliseconds(100));
        var path = _dir.File("slow.db");
        await using var p = await SqliteAdapter.OpenAsync(path, Options);
        await p.Cache.SetAsync("fast", 1, cancellationToken: Ct);
        Assert.Empty(activities.Operations);

        DateTime issued;
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("BEGIN IMMEDIATE");
            issued = DateTime.UtcNow;
            var write = p.Cache.SetAsync("k", 1, cancellationToken: Ct).AsTask();
            await Task.Delay(300, Ct);
            raw.Exec("COMMIT");
            await write;
        }

        var slow = Assert.Single(activities.Operations);
        Assert.Equal("nap.cache.set", slow.OperationName);
        Assert.True(slow.Duration >= TimeSpan.FromMilliseconds(250), $"Duration {slow.Duration}.");
        Assert.True(slow.StartTimeUtc <= issued.AddMilliseconds(50), $"Started {slow.StartTimeUtc:O}, issued {issued:O}.");
    }

    [Fact]
    public async Task PostgreSqlOperations_AreTracedAsClientActivities()
    {
        using var activities = new ActivityCollector();
        using var threshold = new ThresholdScope(Timeout.InfiniteTimeSpan);
        await using var p = await PostgresAdapter.OpenAsync(await PostgresServer.CreateSchemaAsync(), Options, Ct);
        using (PersistenceTelemetry.TraceOperations())
        {
            await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
            Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
        }

        await p.Cache.GetAsync<int>("k", Ct);
        Assert.Equal(["nap.cache.set", "nap.cache.get"], activities.Operations.Select(a => a.OperationName));
        Assert.All(activities.Operations, a =>
        {
            Assert.Equal("postgresql", a.GetTagItem("db.system.name"));
            Assert.Equal(ActivityKind.Client, a.Kind);
        });
    }

    [Fact]
    public void SlowOperationThreshold_RefusesNegativeValues()
    {
        var before = PersistenceTelemetry.SlowOperationThreshold;
        Assert.Throws<ArgumentOutOfRangeException>(() => PersistenceTelemetry.SlowOperationThreshold = TimeSpan.FromMilliseconds(-5));
        Assert.Equal(before, PersistenceTelemetry.SlowOperationThreshold);
        using (new ThresholdScope(Timeout.InfiniteTimeSpan))
        {
            Assert.Equal(Timeout.InfiniteTimeSpan, PersistenceTelemetry.SlowOperationThreshold);
        }

        Assert.Equal(before, PersistenceTelemetry.SlowOperationThreshold);
    }

    [Fact]
    public void WithoutListeners_NoInstrumentIsEnabled_AndNoActivityIsCreated()
    {
        _listener.Dispose();
        Assert.False(PersistenceTelemetry.CacheLookups.Enabled);
        Assert.False(PersistenceTelemetry.GroupCommitWrites.Enabled);
        Assert.Null(PersistenceTelemetry.Source.StartActivity("nap.execute_once"));
    }

    private sealed class ActivityCollector : IDisposable
    {
        private readonly ActivityListener _listener;

        public ActivityCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == PersistenceTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a =>
                {
                    lock (Stopped)
                    {
                        Stopped.Add(a);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<Activity> Stopped { get; } = [];

        /// <summary>The per-operation activities (every one names its operation), in the order they ended.</summary>
        public List<Activity> Operations
        {
            get
            {
                lock (Stopped)
                {
                    return Stopped.Where(a => a.GetTagItem("nap.operation") is not null).ToList();
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Sets <see cref="PersistenceTelemetry.SlowOperationThreshold"/> for one test and puts it back.</summary>
    private sealed class ThresholdScope : IDisposable
    {
        private readonly TimeSpan _before = PersistenceTelemetry.SlowOperationThreshold;

        public ThresholdScope(TimeSpan threshold) => PersistenceTelemetry.SlowOperationThreshold = threshold;

        public void Dispose() => PersistenceTelemetry.SlowOperationThreshold = _before;
    }
}
