using System.Collections.Concurrent;
using NativeAotPersistence.Tests.Conformance;

namespace NativeAotPersistence.Tests.Reliability;

public sealed class DamagedRowTests_Sqlite : DamagedRowTests<SqliteFileBackend>
{
    protected override IPersistenceAdmin Admin(IPersistenceAdapter adapter) => ((SqliteAdapter)adapter).Admin;

    protected override async ValueTask DamageAsync(IPersistenceAdapter adapter, string table, string keyColumn, string storedKey, string column, long value) =>
        await SqliteBackend.ExecuteAsync(adapter, $"UPDATE {table} SET {column} = ?1 WHERE {keyColumn} = ?2", value, storedKey);
}

public sealed class DamagedRowTests_Postgres : DamagedRowTests<PostgresBackend>
{
    protected override IPersistenceAdmin Admin(IPersistenceAdapter adapter) => ((PostgresAdapter)adapter).Admin;

    protected override async ValueTask DamageAsync(IPersistenceAdapter adapter, string table, string keyColumn, string storedKey, string column, long value) =>
        await Backend.ExecuteAsync($"UPDATE {table} SET {column} = $1 WHERE {keyColumn} = $2", value, System.Text.Encoding.UTF8.GetBytes(storedKey));
}

/// <summary>
/// A row whose time column holds a value no date can have (a damaged row, or one another tool wrote): reading that key is
/// a <see cref="PersistenceErrorKind.Corrupt"/> error naming the table, the column and the key, and listings skip the
/// row, report it, and list every other.
/// </summary>
public abstract class DamagedRowTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    private const long Huge = long.MaxValue - 7;
    private readonly ConcurrentQueue<PersistenceRowSkipped> _skipped = new();
    private IDisposable? _subscription;
    private IPersistenceAdapter _p = null!;

    protected TBackend Backend { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _p = await Backend.OpenAsync("dmg:");
        _subscription = PersistenceEvents.Subscribe(new SkipObserver(_skipped));
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        await Backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract IPersistenceAdmin Admin(IPersistenceAdapter adapter);

    protected abstract ValueTask DamageAsync(IPersistenceAdapter adapter, string table, string keyColumn, string storedKey, string column, long value);

    // The observer is process-wide: keys of this test's own tell its rows from those of tests running beside it.
    private readonly string _bad = "bad-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task ACircuitRow_IsCorruptWhenRead_AndSkippedByTheListing()
    {
        await _p.CircuitBreakers.RecordFailureAsync("ok", 5, Ct);
        await _p.CircuitBreakers.RecordFailureAsync(_bad, 5, Ct);
        await DamageAsync(_p, "go_goscope_circuit", "key", Stored("circuit", _bad), "last_failure_time", Huge);

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await _p.CircuitBreakers.GetStateAsync(_bad, Ct));
        AssertNames(error, "go_goscope_circuit", "last_failure_time", _bad);
        Assert.Equal(1, (await _p.CircuitBreakers.GetStateAsync("ok", Ct))!.FailureCount);

        Assert.Equal(["ok"], (await Admin(_p).ListCircuitsAsync(Ct)).Select(c => c.Key));
        AssertSkipped("admin.circuits", "go_goscope_circuit", _bad);
    }

    [Fact]
    public async Task ACheckpointRow_IsCorruptWhenRead_AndSkippedByTheListings()
    {
        string t = _bad + "-t", u = _bad + "-u", c2 = _bad + "-c2", u1 = _bad + "-u1";
        await _p.Checkpoints.SaveAsync(new Checkpoint<int>("c1", t, 1, Conformance.Backend.Start, 10, 1), Ct);
        await _p.Checkpoints.SaveAsync(new Checkpoint<int>(c2, t, 2, Conformance.Backend.Start, 20, 2), Ct);
        await _p.Checkpoints.SaveAsync(new Checkpoint<int>(u1, u, 1, Conformance.Backend.Start, 30, 3, TimeSpan.FromSeconds(5)), Ct);
        await DamageAsync(_p, "go_goscope_checkpoints", "id", Stored("checkpoint", c2), "timestamp", -Huge);
        await DamageAsync(_p, "go_goscope_checkpoints", "id", Stored("checkpoint", u1), "estimated_time_remaining", -5);

        AssertNames(await Assert.ThrowsAsync<PersistenceException>(async () => await _p.Checkpoints.LoadLatestAsync<int>(t, Ct)), "go_goscope_checkpoints", "timestamp", c2);
        AssertNames(await Assert.ThrowsAsync<PersistenceException>(async () => await _p.Checkpoints.LoadAsync<int>(u1, Ct)), "go_goscope_checkpoints", "estimated_time_remaining", u1);
        Assert.Equal(1, (await _p.Checkpoints.LoadAsync<int>("c1", Ct))!.Data);

        Assert.Equal(["c1"], (await _p.Checkpoints.ListAsync(t, Ct)).Select(c => c.Id));
        Assert.Equal(["c1"], (await _p.Checkpoints.ListAsync<int>(t, Ct)).Select(c => c.Id));
        AssertSkipped("checkpoint.list", "go_goscope_checkpoints", c2);

        // The tasks listing reads each task's latest row: both tasks' are damaged, so both are skipped and reported.
        Assert.Empty(await Admin(_p).ListTasksAsync(Ct));
        AssertSkipped("admin.tasks", "go_goscope_checkpoints", t);
        AssertSkipped("admin.tasks", "go_goscope_checkpoints", u);
    }

    [Fact]
    public async Task AnIdempotencyRow_IsCorruptWhenRead_EvenThroughExecuteOnce_AndSkippedByTheListing()
    {
        await _p.Idempotency.SetAsync("ok", 1, TimeSpan.FromHours(1), Ct);
        await _p.Idempotency.SetAsync(_bad, 2, TimeSpan.FromHours(1), Ct);
        await DamageAsync(_p, "go_goscope_idempotency", "key", Stored("idempotency", _bad), "expires_at", Huge);

        AssertNames(await Assert.ThrowsAsync<PersistenceException>(async () => await _p.Idempotency.GetAsync<int>(_bad, Ct)), "go_goscope_idempotency", "expires_at", _bad);
        var runs = 0;
        await Assert.ThrowsAsync<PersistenceException>(async () => await _p.Idempotency.ExecuteOnceAsync(_bad, null, _ => ValueTask.FromResult(++runs), Ct));
        Assert.Equal(0, runs);

        Assert.Equal(["ok"], (await Admin(_p).ListIdempotencyKeysAsync(cancellationToken: Ct)).Select(k => k.Key));
        AssertSkipped("admin.idempotency", "go_goscope_idempotency", _bad);
    }

    [Fact]
    public async Task ALockRow_IsCorruptWhenRead_AndSkippedByTheListing()
    {
        await _p.Locks.AcquireAsync("ok", TimeSpan.FromMinutes(1), cancellationToken: Ct);
        await _p.Locks.AcquireAsync(_bad, TimeSpan.FromMinutes(1), cancellationToken: Ct);
        await DamageAsync(_p, "go_goscope_locks", "key", Stored("lock", _bad), "expires_at", Huge);

        AssertNames(await Assert.ThrowsAsync<PersistenceException>(async () => await _p.Locks.GetInfoAsync(_bad, Ct)), "go_goscope_locks", "expires_at", _bad);
        Assert.Equal(["ok"], (await Admin(_p).ListLocksAsync(Ct)).Select(l => l.Key));
        AssertSkipped("admin.locks", "go_goscope_locks", _bad);
    }

    private static string Stored(string kind, string key) => "dmg:" + kind + ":" + key;

    private static void AssertNames(PersistenceException error, string table, string column, string key)
    {
        Assert.Equal(PersistenceErrorKind.Corrupt, error.Kind);
        Assert.Contains(table, error.Message, StringComparison.Ordinal);
        Assert.Contains(column, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
    }

    private void AssertSkipped(string operation, string table, string key) =>
        Assert.Contains(_skipped, s => s.Operation == operation && s.Table == table && s.Key == key && s.Error.Kind == PersistenceErrorKind.Corrupt);

    private sealed class SkipObserver(ConcurrentQueue<PersistenceRowSkipped> skipped) : IPersistenceEventObserver
    {
        public void OnRowSkipped(PersistenceRowSkipped e) => skipped.Enqueue(e);
    }
}
