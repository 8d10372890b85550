using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.Sqlite;

namespace NativeAotPersistence.Tests.Diagnostics;

/// <summary>The in-process events. Observers are process-wide, so this class runs alone (with the telemetry tests).</summary>
[Collection(nameof(TelemetryTests))]
public sealed class PersistenceEventsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Recorder _events = new();
    private readonly IDisposable _subscription;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));

    public PersistenceEventsTests() => _subscription = PersistenceEvents.Subscribe(_events);

    public void Dispose()
    {
        _subscription.Dispose();
        _dir.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connect_ReportsCreatedCurrentAndMigrated()
    {
        var path = _dir.File("t.db");
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        var v1 = _dir.File("v1.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema-v1.db"), v1);
        await (await SqliteAdapter.OpenAsync(v1)).DisposeAsync();

        Assert.Equal(
            [
                new PersistenceConnected("sqlite", Path.GetFullPath(path), NativeAotPersistence.Backends.SchemaRules.CurrentVersion, SchemaChange.Created),
                new PersistenceConnected("sqlite", Path.GetFullPath(path), NativeAotPersistence.Backends.SchemaRules.CurrentVersion, SchemaChange.None),
                new PersistenceConnected("sqlite", Path.GetFullPath(v1), NativeAotPersistence.Backends.SchemaRules.CurrentVersion, SchemaChange.Migrated),
            ],
            _events.Of<PersistenceConnected>());
    }

    [Fact]
    public async Task BusyWaits_AreReported_WhenTheyEndOrGiveUp()
    {
        var path = _dir.File("busy.db");
        await using var p = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        using var raw = new RawSqlite(path);
        raw.Exec("BEGIN IMMEDIATE");
        await Assert.ThrowsAsync<PersistenceException>(async () => await p.Cache.SetAsync("k", 1, cancellationToken: Ct));
        var write = p.Cache.SetAsync("k", 2, cancellationToken: Ct).AsTask();
        await Task.Delay(100, Ct);
        raw.Exec("COMMIT");
        await write;

        var waits = _events.Of<PersistenceBusyWait>();
        Assert.Equal(2, waits.Count);
        Assert.True(waits[0] is { Operation: "cache.set", GaveUp: true, Backend: "sqlite" } && waits[0].Waited >= TimeSpan.FromMilliseconds(300));
        Assert.True(waits[1] is { Operation: "cache.set", GaveUp: false } && waits[1].Waited >= TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task LostLocks_Transitions_AndPayloadErrors_AreReported_AndAThrowingObserverChangesNothing()
    {
        using var thrower = PersistenceEvents.Subscribe(new Thrower());
        await using var p = await SqliteAdapter.OpenAsync(_dir.File("t.db"), new PersistenceAdapterOptions { TimeProvider = _time });
        var handle = await p.Locks.AcquireAsync("job", TimeSpan.FromSeconds(1), "me", Ct);
        _ = handle!.HandleLost;
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([new PersistenceLockLost("job", "me", handle.FencingToken)], _events.Of<PersistenceLockLost>());

        var breaker = new CircuitBreaker(p.CircuitBreakers, "upstream", new CircuitBreakerOptions { FailureThreshold = 1, TimeProvider = _time });
        await Assert.ThrowsAsync<TimeoutException>(async () => await breaker.ExecuteAsync<int>(_ => throw new TimeoutException(), Ct));
        var transition = Assert.Single(_events.Of<CircuitBreakerTransition>());
        Assert.Equal(("upstream", CircuitState.Closed, CircuitState.Open), (transition.Key, transition.From, transition.To));

        await p.Cache.SetAsync("text", "x", cancellationToken: Ct);
        var thrown = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("text", Ct));
        Assert.Same(thrown, Assert.Single(_events.Of<PayloadFormatException>()));
    }

    [Fact]
    public async Task AfterUnsubscribing_NothingArrives()
    {
        _subscription.Dispose();
        _subscription.Dispose();
        await (await SqliteAdapter.OpenAsync(_dir.File("t.db"))).DisposeAsync();
        Assert.Empty(_events.All);
    }

    private sealed class Recorder : IPersistenceEventObserver
    {
        public List<object> All { get; } = [];

        public List<T> Of<T>()
        {
            lock (All)
            {
                return All.OfType<T>().ToList();
            }
        }

        public void OnConnected(PersistenceConnected e) => Add(e);

        public void OnBusyWait(PersistenceBusyWait e) => Add(e);

        public void OnLockLost(PersistenceLockLost e) => Add(e);

        public void OnCircuitTransition(CircuitBreakerTransition e) => Add(e);

        public void OnPayloadFormatError(PayloadFormatException e) => Add(e);

        private void Add(object e)
        {
            lock (All)
            {
                All.Add(e);
            }
        }
    }

    private sealed class Thrower : IPersistenceEventObserver
    {
        public void OnLockLost(PersistenceLockLost e) => throw new InvalidOperationException("observer failure");

        public void OnCircuitTransition(CircuitBreakerTransition e) => throw new InvalidOperationException("observer failure");

        public void OnPayloadFormatError(PayloadFormatException e) => throw new InvalidOperationException("observer failure");
    }
}
