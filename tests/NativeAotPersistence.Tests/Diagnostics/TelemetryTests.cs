using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
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
    public async Task CacheLookups_AreCountedByBackendAndOutcome()
    {
        await using var sqlite = await SqliteAdapter.OpenAsync(_dir.File("t.db"), Options);
        await using var memory = new InMemoryPersistence(Options);
        await memory.ConnectAsync(Ct);
        foreach (var p in new IPersistenceAdapter[] { sqlite, memory })
        {
            await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
            await p.Cache.GetAsync<int>("k", Ct);
            await p.Cache.TryGetAsync<int>("k", Ct);
            await p.Cache.GetAsync<int>("missing", Ct);
        }

        await sqlite.Cache.GetAsync<int>("k", Ct);
        Assert.Equal(3, Sum("nap.cache.lookups", ("nap.backend", "sqlite"), ("nap.outcome", "hit")));
        Assert.Equal(1, Sum("nap.cache.lookups", ("nap.backend", "sqlite"), ("nap.outcome", "miss")));
        Assert.Equal(2, Sum("nap.cache.lookups", ("nap.backend", "in-memory"), ("nap.outcome", "hit")));
        Assert.Equal(1, Sum("nap.cache.lookups", ("nap.backend", "in-memory"), ("nap.outcome", "miss")));
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

        public void Dispose() => _listener.Dispose();
    }
}
