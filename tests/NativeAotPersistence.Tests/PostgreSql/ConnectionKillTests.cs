using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// Issue 12: server connections killed under the adapter (<c>pg_terminate_backend</c>) and a server that went away. The
/// caller gets either a success or a <see cref="PersistenceException"/> of kind Connection, never another exception,
/// and no write is applied twice or half.
/// </summary>
public sealed class ConnectionKillTests
{
    private const int Workers = 4;
    private const int OperationsPerWorker = 300;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    /// <summary>A fresh schema and a connection string for the adapter under test, marked with its own application name.</summary>
    private static async Task<(string ConnectionString, string ApplicationName)> TargetAsync()
    {
        var applicationName = "nap-kill-" + Guid.NewGuid().ToString("N")[..8];
        var connectionString = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateSchemaAsync()) { ApplicationName = applicationName }.ConnectionString;
        return (connectionString, applicationName);
    }

    /// <summary>Terminates every server connection of <paramref name="applicationName"/>; returns how many it signalled.</summary>
    private static async Task<int> KillAsync(NpgsqlConnection killer, string applicationName)
    {
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE t) FROM (
              SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1) AS killed
            """, killer);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicationName });
        return (int)(long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<NpgsqlConnection> KillerAsync()
    {
        var killer = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await PostgresServer.ConnectionStringAsync())
        {
            ApplicationName = "nap-killer",
            Pooling = false,
        }.ConnectionString);
        await killer.OpenAsync(Ct);
        return killer;
    }

    [Fact]
    public async Task KillingConnectionsMidOperation_GivesSuccessOrATypedError_AndNeverAHalfAppliedWrite()
    {
        var (connectionString, applicationName) = await TargetAsync();
        var options = new PersistenceAdapterOptions { LockScope = LockScope.Database, BusyTimeout = TimeSpan.FromSeconds(10) };
        await using var adapter = await PostgresAdapter.OpenAsync(connectionString, options);

        var violations = new ConcurrentQueue<string>();
        var tally = new Tally();
        using var stop = new CancellationTokenSource();
        var killing = Task.Run(async () =>
        {
            await using var killer = await KillerAsync();
            var random = new Random(12);
            var killed = 0;
            while (!stop.IsCancellationRequested)
            {
                killed += await KillAsync(killer, applicationName);
                await Task.Delay(random.Next(0, 8), CancellationToken.None);
            }

            return killed;
        }, Ct);

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(adapter, w, tally, violations), Ct)).ToArray();
        Worker[] results;
        try
        {
            results = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(4), Ct);
        }
        finally
        {
            await stop.CancelAsync();
        }

        var killed = await killing;

        // Read back through a fresh adapter that nobody kills.
        await using var reader = await PostgresAdapter.OpenAsync(connectionString, options);
        var failures = (await reader.CircuitBreakers.GetStateAsync("shared", Ct))?.FailureCount ?? 0;
        if (failures < tally.FailureSuccesses || failures > tally.FailureSuccesses + tally.FailureErrors)
        {
            violations.Enqueue($"RecordFailure count {failures} is outside [{tally.FailureSuccesses}, {tally.FailureSuccesses} acknowledged + {tally.FailureErrors} typed errors].");
        }

        foreach (var worker in results)
        {
            await worker.VerifyAsync(reader, violations);
        }

        Report($"{killed} server connections killed during {Workers} x {OperationsPerWorker} operations; {tally.Errors} typed Connection errors; " +
            $"RecordFailure: {tally.FailureSuccesses} acknowledged, {tally.FailureErrors} failed, count {failures}");
        Assert.Empty(violations);

        // The test exercised what it claims to: connections were killed while the workers ran.
        Assert.True(killed > Workers, $"Only {killed} connections were killed.");
    }

    [Fact]
    public async Task AKillBetweenOperations_IsRetriedInvisibly_ForReadsIdempotentWritesAndTransactions()
    {
        var (connectionString, applicationName) = await TargetAsync();
        await using var adapter = await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { LockScope = LockScope.Database });
        await using var killer = await KillerAsync();
        const int rounds = 10;

        for (var round = 1; round <= rounds; round++)
        {
            // Every pooled connection of the adapter is idle here; kill them all and wait until the server let them go.
            var killed = await KillAsync(killer, applicationName);
            Assert.True(killed > 0, $"Round {round}: the adapter had no connection to kill.");
            await WaitUntilGoneAsync(killer, applicationName);

            // The first use of each dead pooled connection fails; every call must still succeed, retried on a new one.
            Assert.Equal(round - 1, (await adapter.CircuitBreakers.GetStateAsync("k", Ct))?.FailureCount ?? 0);
            await KillAsync(killer, applicationName);
            await WaitUntilGoneAsync(killer, applicationName);
            await adapter.Cache.SetAsync("k", round, cancellationToken: Ct);
            await KillAsync(killer, applicationName);
            await WaitUntilGoneAsync(killer, applicationName);
            Assert.Equal(round, await adapter.Cache.GetAsync<int>("k", Ct));
            await KillAsync(killer, applicationName);
            await WaitUntilGoneAsync(killer, applicationName);
            await adapter.Idempotency.SetAsync("k", round, cancellationToken: Ct);
            await KillAsync(killer, applicationName);
            await WaitUntilGoneAsync(killer, applicationName);
            await adapter.Checkpoints.SaveAsync(new Checkpoint<int>($"c{round}", "task", round, DateTimeOffset.UtcNow, round, round), Ct);
            await KillAsync(killer, applicationName);
            await WaitUntilGoneAsync(killer, applicationName);

            // A transaction whose connection died before it began is retried too: nothing of it was applied.
            Assert.Equal(round, await adapter.CircuitBreakers.RecordFailureAsync("k", int.MaxValue, Ct));
        }

        Assert.Equal(rounds, (await adapter.Idempotency.GetAsync<int>("k", Ct))!.Value);
        Assert.Equal(rounds, (await adapter.Checkpoints.LoadLatestAsync<int>("task", Ct))!.Data);
        Assert.Equal(rounds, (await adapter.CircuitBreakers.GetStateAsync("k", Ct))!.FailureCount);
    }

    [Fact]
    public async Task AnUnreachableServer_FailsWithAConnectionError_WithinTheBusyTimeout()
    {
        var busyTimeout = TimeSpan.FromSeconds(2);
        var closedPort = ClosedPort();
        var connectionString = $"Host=127.0.0.1;Port={closedPort};Username=app;Database=postgres;Timeout=2";

        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { BusyTimeout = busyTimeout }, Ct));
        watch.Stop();

        Assert.Equal(PersistenceErrorKind.Connection, e.Kind);
        Assert.Contains($"127.0.0.1:{closedPort}", e.Message, StringComparison.Ordinal);

        // Retried for its budget, not forever (the margin covers one last connection attempt on a loaded machine).
        Assert.True(watch.Elapsed < busyTimeout + TimeSpan.FromSeconds(10), $"Took {watch.Elapsed}.");
    }

    [Fact]
    public async Task AServerThatAcceptsButNeverAnswers_FailsWithAConnectionError_WithinTheBusyTimeout()
    {
        // The kernel completes the TCP handshakes into the listener's backlog; nobody ever reads or answers. Npgsql's own
        // connect timeout is set far above the busy timeout, so only the adapter's budget can end the wait in time.
        using var hung = new TcpListener(IPAddress.Loopback, 0);
        hung.Start();
        var port = ((IPEndPoint)hung.LocalEndpoint).Port;
        var busyTimeout = TimeSpan.FromSeconds(2);
        var connectionString = $"Host=127.0.0.1;Port={port};Username=app;Database=postgres;Timeout=40";

        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { BusyTimeout = busyTimeout }, Ct));
        watch.Stop();

        Assert.Equal(PersistenceErrorKind.Connection, e.Kind);
        Assert.True(watch.Elapsed < busyTimeout + TimeSpan.FromSeconds(10), $"Took {watch.Elapsed}.");
    }

    [Fact]
    public async Task AServerThatGoesAway_FailsOperationsWithAConnectionError_AndTheAdapterRecoversWhenItReturns()
    {
        var server = await PostgresServer.RequireAsync();
        using var proxy = new TcpProxy(server.Port);
        var schema = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateSchemaAsync()) { Port = proxy.Port, Timeout = 2 };
        var busyTimeout = TimeSpan.FromSeconds(2);
        await using var adapter = await PostgresAdapter.OpenAsync(schema.ConnectionString, new PersistenceAdapterOptions
        {
            LockScope = LockScope.Database,
            BusyTimeout = busyTimeout,
        }, Ct);
        await adapter.Cache.SetAsync("k", "before", cancellationToken: Ct);
        Assert.Equal(1, await adapter.CircuitBreakers.RecordFailureAsync("k", 10, Ct));

        proxy.Stop();
        var calls = new Func<Task>[]
        {
            async () => await adapter.Cache.GetAsync<string>("k", Ct),
            async () => await adapter.Cache.SetAsync("k", "during", cancellationToken: Ct),
            async () => await adapter.Cache.AddAsync("other", "during", cancellationToken: Ct),
            async () => await adapter.CircuitBreakers.RecordFailureAsync("k", 10, Ct),
            async () => await adapter.Locks.AcquireAsync("lock", TimeSpan.FromMinutes(1), cancellationToken: Ct),
            async () => await adapter.Checkpoints.SaveAsync(new Checkpoint<int>("c", "t", 1, DateTimeOffset.UtcNow, 1, 1), Ct),
        };
        foreach (var call in calls)
        {
            var watch = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<PersistenceException>(call);
            watch.Stop();
            Assert.Equal(PersistenceErrorKind.Connection, e.Kind);
            Assert.True(watch.Elapsed < busyTimeout + TimeSpan.FromSeconds(10), $"'{e.Operation}' took {watch.Elapsed}.");
        }

        // Nothing of the failed calls was applied, and the same adapter works again once the server is back.
        proxy.Start();
        Assert.Equal("before", await adapter.Cache.GetAsync<string>("k", Ct));
        Assert.False(await adapter.Cache.HasAsync("other", Ct));
        Assert.Equal(2, await adapter.CircuitBreakers.RecordFailureAsync("k", 10, Ct));
        Assert.Null(await adapter.Locks.GetInfoAsync("lock", Ct));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilGoneAsync(NpgsqlConnection killer, string applicationName)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", killer);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicationName });
        while ((long)(await command.ExecuteScalarAsync(Ct))! > 0)
        {
            await Task.Delay(5, Ct);
        }
    }

    private static async Task<Worker> WorkAsync(PostgresAdapter adapter, int id, Tally tally, ConcurrentQueue<string> violations)
    {
        var worker = new Worker(adapter, id, tally, violations);
        var random = new Random(id);
        for (var i = 1; i <= OperationsPerWorker; i++)
        {
            switch (random.Next(5))
            {
                case 0:
                    await worker.RecordFailureAsync();
                    break;
                case 1:
                    await worker.SetAsync(i);
                    break;
                case 2:
                    await worker.AddOrDeleteAsync(i, random);
                    break;
                case 3:
                    await worker.LockAsync(random);
                    break;
                default:
                    await worker.SaveCheckpointAsync(i);
                    break;
            }
        }

        return worker;
    }

    private sealed class Tally
    {
        private int _failureSuccesses;
        private int _failureErrors;
        private int _errors;

        public int FailureSuccesses => Volatile.Read(ref _failureSuccesses);

        public int FailureErrors => Volatile.Read(ref _failureErrors);

        public int Errors => Volatile.Read(ref _errors);

        public void FailureSucceeded() => Interlocked.Increment(ref _failureSuccesses);

        public void FailureFailed() => Interlocked.Increment(ref _failureErrors);

        public void Error() => Interlocked.Increment(ref _errors);
    }

    /// <summary>
    /// One worker's keys and what it knows of them: a model updated only by acknowledged calls (a typed error makes
    /// the state unknown until the next acknowledged call), checked against every acknowledged result.
    /// </summary>
    private sealed class Worker(PostgresAdapter adapter, int id, Tally tally, ConcurrentQueue<string> violations)
    {
        private readonly string _setKey = $"set-{id}";
        private readonly string _addKey = $"add-{id}";
        private readonly string _lockKey = $"lock-{id}";
        private readonly string _owner = $"owner-{id}";
        private readonly string _task = $"task-{id}";
        private readonly List<int> _unacknowledgedSets = [];
        private readonly Dictionary<string, int> _savedCheckpoints = [];
        private int? _lastSet;
        private bool? _added;
        private int? _addedValue;
        private bool? _held;

        public async Task RecordFailureAsync()
        {
            if (await TryAsync(async () => await adapter.CircuitBreakers.RecordFailureAsync("shared", int.MaxValue)) is (true, _))
            {
                tally.FailureSucceeded();
            }
            else
            {
                tally.FailureFailed();
            }
        }

        public async Task SetAsync(int value)
        {
            if (await TryAsync(async () => { await adapter.Cache.SetAsync(_setKey, value); return 0; }) is not (true, _))
            {
                _unacknowledgedSets.Add(value);
                return;
            }

            _lastSet = value;
            _unacknowledgedSets.Clear();

            // An acknowledged Set is readable at once (if the read itself gets through).
            if (await TryAsync(async () => await adapter.Cache.TryGetAsync<int>(_setKey)) is (true, var read) && (!read.Found || read.Value != value))
            {
                violations.Enqueue($"{_setKey}: Set({value}) was acknowledged, then the read found {(read.Found ? read.Value : "nothing")}.");
            }
        }

        public async Task AddOrDeleteAsync(int value, Random random)
        {
            if (_added ?? random.Next(2) == 0)
            {
                var (ok, deleted) = await TryAsync(async () => await adapter.Cache.DeleteAsync(_addKey));
                if (ok && _added is { } before && deleted != before)
                {
                    violations.Enqueue($"{_addKey}: Delete returned {deleted} while the entry was {(before ? "present" : "absent")}.");
                }

                _added = ok ? false : null;
                _addedValue = null;
            }
            else
            {
                var (ok, added) = await TryAsync(async () => await adapter.Cache.AddAsync(_addKey, value));
                if (ok && _added is { } before && added == before)
                {
                    // Add returning false on an absent key is what a retried, already committed Add would return.
                    violations.Enqueue($"{_addKey}: Add returned {added} while the entry was {(before ? "present" : "absent")}.");
                }

                _added = ok ? true : null;
                _addedValue = ok && added ? value : ok ? _addedValue : null;
                if (ok && _addedValue is { } expected
                    && await TryAsync(async () => await adapter.Cache.TryGetAsync<int>(_addKey)) is (true, var read) && (!read.Found || read.Value != expected))
                {
                    violations.Enqueue($"{_addKey}: after an acknowledged Add of {expected} the read found {(read.Found ? read.Value : "nothing")}.");
                }
            }
        }

        public async Task LockAsync(Random random)
        {
            var releaser = (ILeaseStore)adapter.Locks;
            if (_held ?? random.Next(2) == 0)
            {
                var (ok, released) = await TryAsync(async () => await releaser.ReleaseAsync(_lockKey, _owner, 0, 0, CancellationToken.None));
                if (ok && _held is { } before && released != before)
                {
                    violations.Enqueue($"{_lockKey}: Release returned {released} while the lock was {(before ? "held" : "free")}.");
                }

                _held = ok ? false : null;
            }
            else
            {
                // Only this worker uses the key, as the same owner: an acquire always gets it (a re-entrant one keeps it).
                var (ok, handle) = await TryAsync(async () => await adapter.Locks.AcquireAsync(_lockKey, TimeSpan.FromMinutes(10), _owner));
                if (ok && handle is null)
                {
                    violations.Enqueue($"{_lockKey}: Acquire by its only owner returned no lock.");
                }

                _held = ok ? true : null;
            }
        }

        public async Task SaveCheckpointAsync(int i)
        {
            var checkpointId = $"cp-{id}-{i}";
            if (await TryAsync(async () =>
                {
                    await adapter.Checkpoints.SaveAsync(new Checkpoint<int>(checkpointId, _task, i, DateTimeOffset.UtcNow, i % 101, i));
                    return 0;
                }) is (true, _))
            {
                _savedCheckpoints[checkpointId] = i;
            }
        }

        /// <summary>Compares the server's final state with what this worker's acknowledged calls imply.</summary>
        public async Task VerifyAsync(PostgresAdapter reader, ConcurrentQueue<string> problems)
        {
            var lookup = await reader.Cache.TryGetAsync<int>(_setKey);
            var allowed = (_lastSet is { } last ? [last] : Array.Empty<int>()).Concat(_unacknowledgedSets).ToArray();
            var fine = lookup.Found ? allowed.Contains(lookup.Value) : _lastSet is null;
            if (!fine)
            {
                problems.Enqueue($"{_setKey}: holds {(lookup.Found ? lookup.Value : "nothing")}; last acknowledged Set {_lastSet?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, later unacknowledged [{string.Join(", ", _unacknowledgedSets)}].");
            }

            var added = await reader.Cache.TryGetAsync<int>(_addKey);
            if (_added is { } present && (added.Found != present || (present && _addedValue is { } value && added.Value != value)))
            {
                problems.Enqueue($"{_addKey}: the model says {(present ? $"present ({_addedValue})" : "absent")}, the server has {(added.Found ? added.Value : "nothing")}.");
            }

            var info = await reader.Locks.GetInfoAsync(_lockKey);
            if (_held is { } held && (info is not null) != held)
            {
                problems.Enqueue($"{_lockKey}: the model says {(held ? "held" : "free")}, the server says {(info is null ? "free" : "held by " + info.Owner)}.");
            }

            // Every acknowledged save is there, whole: its row's data matches its sequence.
            var stored = (await reader.Checkpoints.ListAsync<int>(_task)).ToDictionary(c => c.Id, c => c);
            foreach (var (checkpointId, sequence) in _savedCheckpoints)
            {
                if (!stored.TryGetValue(checkpointId, out var checkpoint))
                {
                    problems.Enqueue($"{checkpointId}: acknowledged, but not stored.");
                }
                else if (checkpoint.Data != sequence || checkpoint.Sequence != sequence)
                {
                    problems.Enqueue($"{checkpointId}: stored with sequence {checkpoint.Sequence} and data {checkpoint.Data}, saved as {sequence}.");
                }
            }

            foreach (var checkpoint in stored.Values.Where(c => c.Data != c.Sequence))
            {
                problems.Enqueue($"{checkpoint.Id}: a half-written row (sequence {checkpoint.Sequence}, data {checkpoint.Data}).");
            }
        }

        /// <summary>Runs a call: a success, a typed Connection error (counted), or anything else (a violation).</summary>
        private async Task<(bool Ok, T? Value)> TryAsync<T>(Func<Task<T>> call)
        {
            try
            {
                return (true, await call());
            }
            catch (PersistenceException e) when (e.Kind == PersistenceErrorKind.Connection)
            {
                tally.Error();
                return (false, default);
            }
            catch (Exception e)
            {
                violations.Enqueue($"worker {id}: {e.GetType().FullName} instead of a success or a Connection PersistenceException: {e}");
                return (false, default);
            }
        }
    }
}
