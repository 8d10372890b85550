using NativeAotPersistence;

// Usage: TestHost <command> <database> [args...]. Prints one line per result: "OK <value>" or "ERR <Kind> <message>".
// Commands: get-then-set, execute-once (the original two) and the reliability suite's crash-writer, record-failures,
// lock-counter, execute-once-threads, breaker, hold-write, write-all, set-many (batches killed mid-way); sqlite-calls (direct e_sqlite3 calls or not); read-only
// (SqliteOpenOptions.ReadOnly); and
// the edge cases of locks and group commit: hold-lock, lease-storm, block-writer, execute-once-stall (Leases.cs) and
// starved-pool (StarvedPool.cs); the rate limiters' rate-storm (RateLimits.cs); the fleet breaker's breaker-storm
// (Breakers.cs); GetOrSet's cache-storm and cache-runner-hang (Caches.cs).
// <database> is a SQLite file path, or "pg:<Npgsql connection string>" for a PostgresAdapter (execute-once,
// record-failures, lock-counter, execute-once-threads, breaker and the storms take either: the multi-node tests run
// them as "machines").
// Exit code 0 unless the arguments are wrong (2).
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: TestHost <command> <database> [args...]");
    return 2;
}

var command = args[0];
var path = args[1];
try
{
    switch (command)
    {
        case "get-then-set":
        {
            // Opens the file, reads args[2], then writes args[2] = args[3]: the read-only checks.
            await using var adapter = await SqliteAdapter.OpenAsync(path);
            Report(await Try(async () => await adapter.Cache.GetAsync<string>(args[2])));
            Report(await Try(async () =>
            {
                await adapter.Cache.SetAsync(args[2], args[3]);
                return "stored";
            }));
            break;
        }

        case "read-only":
        {
            // Opens the file read-only (SqliteOpenOptions.ReadOnly), reads args[2], then tries to write it and reads the stats.
            await using var adapter = await SqliteAdapter.OpenAsync(path, null, new SqliteOpenOptions { ReadOnly = true });
            Report(await Try(async () => await adapter.Cache.GetAsync<string>(args[2])));
            Report(await Try(async () =>
            {
                await adapter.Cache.SetAsync(args[2], "changed");
                return "stored";
            }));
            Report(await Try(async () => (await adapter.Admin.GetStatsAsync()).SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            break;
        }

        case "execute-once":
        {
            // ExecuteOnce under LockScope.Database: the action appends a line to args[3] and takes args[4] ms. args[5],
            // optional: a barrier directory.
            await using var adapter = await OpenAsync(path, new PersistenceAdapterOptions { LockScope = LockScope.Database });
            await BarrierAsync(args, 5);
            var value = await adapter.Idempotency.ExecuteOnceAsync(args[2], TimeSpan.FromHours(1), async ct =>
            {
                await File.AppendAllTextAsync(args[3], $"{Environment.ProcessId}\n", ct);
                await Task.Delay(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), ct);
                return $"ran-in-{Environment.ProcessId}";
            });
            Report("OK " + value);
            break;
        }

        case "crash-writer":
        {
            // Waits for "go" on stdin (so the parent can start it ahead of time), then writes in a loop from two workers:
            // cache sets, checkpoint saves, RecordFailure and idempotency sets. Each line "A <kind> <key> <value>" is
            // printed only after its call returned. The parent kills the process with SIGKILL at a random moment.
            var id = args[2];
            if (Console.ReadLine() != "go")
            {
                return 2;
            }

            await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
            Ack("READY");
            var deadline = DateTime.UtcNow.AddMinutes(1); // a bound in case nobody kills it
            var workers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
            {
                for (var i = 0; DateTime.UtcNow < deadline; i++)
                {
                    var key = $"{id}-{w}-{i}";
                    switch (i % 4)
                    {
                        case 0:
                            await adapter.Cache.SetAsync("c-" + key, i);
                            Ack($"A cache c-{key} {i}");
                            break;
                        case 1:
                            await adapter.Checkpoints.SaveAsync(new Checkpoint<int>("p-" + key, $"task-{id}-{w}", i, DateTimeOffset.UtcNow, i % 101, i));
                            Ack($"A checkpoint p-{key} {i}");
                            break;
                        case 2:
                            var count = await adapter.CircuitBreakers.RecordFailureAsync("shared", int.MaxValue);
                            Ack($"A failure shared {count}");
                            break;
                        default:
                            await adapter.Idempotency.SetAsync("i-" + key, i, TimeSpan.FromHours(1));
                            Ack($"A idempotency i-{key} {i}");
                            break;
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            break;
        }

        case "set-many":
        {
            // Waits for "go" on stdin, then stores batches of <size> cache entries with SetManyAsync from two workers
            // ("m<batch>-<n>" = batch number), printing "A <batch>" only after the batch's call returned, until killed.
            var size = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
            var first = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
            if (Console.ReadLine() != "go")
            {
                return 2;
            }

            await using var adapter = await OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
            Ack("READY");
            var deadline = DateTime.UtcNow.AddMinutes(1); // a bound in case nobody kills it
            var workers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
            {
                for (var i = 0; DateTime.UtcNow < deadline; i++)
                {
                    var batch = first + (i * 2) + w;
                    await adapter.Cache.SetManyAsync(Enumerable.Range(0, size).Select(n => KeyValuePair.Create($"m{batch}-{n}", batch)));
                    Ack($"A {batch}");
                }
            })).ToArray();
            await Task.WhenAll(workers);
            break;
        }

        case "record-failures":
        {
            // args[2] key, args[3] count, args[4] optional barrier directory: RecordFailure that many times, then "OK <last count>".
            await using var adapter = await OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(2) });
            await BarrierAsync(args, 4);
            var n = Int(args[3]);
            var last = 0;
            for (var i = 0; i < n; i++)
            {
                last = await adapter.CircuitBreakers.RecordFailureAsync(args[2], int.MaxValue);
            }

            Report("OK " + last);
            break;
        }

        case "lock-counter":
        {
            // args[2] lock key, args[3] counter file, args[4] iterations, args[5] marker file. Under a LockScope.Database lock:
            // create the marker exclusively (it exists only if another holder is inside too), read-modify-write the counter,
            // delete the marker. Prints "T <counter written> <fencing token>" per section and "OK <overlaps>" at the end.
            // args[6], optional: a barrier directory.
            await using var adapter = await OpenAsync(
                path, new PersistenceAdapterOptions { LockScope = LockScope.Database, BusyTimeout = TimeSpan.FromMinutes(2) });
            await BarrierAsync(args, 6);
            var overlaps = 0;
            for (var i = 0; i < Int(args[4]); i++)
            {
                var handle = await adapter.Locks.AcquireAsync(args[2], TimeSpan.FromMinutes(2), Timeout.InfiniteTimeSpan)
                    ?? throw new InvalidOperationException("An infinite wait returned no lock.");
                await using (handle)
                {
                    FileStream? marker = null;
                    try
                    {
                        marker = new FileStream(args[5], FileMode.CreateNew, FileAccess.Write);
                    }
                    catch (IOException)
                    {
                        overlaps++;
                    }

                    var value = File.Exists(args[3]) ? Int(File.ReadAllText(args[3]).Trim()) : 0;
                    File.WriteAllText(args[3], (value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Ack($"T {value + 1} {handle.FencingToken}");
                    if (marker is not null)
                    {
                        await marker.DisposeAsync();
                        File.Delete(args[5]);
                    }
                }
            }

            Report("OK " + overlaps);
            break;
        }

        case "execute-once-threads":
        {
            // ExecuteOnce under LockScope.Database from args[5] threads at once on key args[2]: the action appends a line
            // to args[3] and takes args[4] ms. Prints one "OK <value>" per thread. args[6], optional: a barrier directory.
            await using var adapter = await OpenAsync(
                path, new PersistenceAdapterOptions { LockScope = LockScope.Database, BusyTimeout = TimeSpan.FromMinutes(2) });
            await BarrierAsync(args, 6);
            using var start = new ManualResetEventSlim();
            var threads = Enumerable.Range(0, Int(args[5])).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return await adapter.Idempotency.ExecuteOnceAsync(args[2], TimeSpan.FromHours(1), async ct =>
                {
                    await File.AppendAllTextAsync(args[3], $"{Environment.ProcessId}\n", ct);
                    await Task.Delay(Int(args[4]), ct);
                    return $"ran-in-{Environment.ProcessId}";
                });
            })).ToArray();
            start.Set();
            foreach (var value in await Task.WhenAll(threads))
            {
                Report("OK " + value);
            }

            break;
        }

        case "breaker":
        {
            // args[2] key, args[3] "fail" or "succeed", args[4] calls. A CircuitBreaker (threshold 3, reset 10 min) over the
            // shared file; prints per call "RAN", "FAILED" or "REJECTED <retry after, unix ms>", then "STATE <state>".
            await using var adapter = await OpenAsync(path, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
            var breaker = new CircuitBreaker(adapter.CircuitBreakers, args[2], new CircuitBreakerOptions
            {
                FailureThreshold = 3,
                ResetTimeout = TimeSpan.FromMinutes(10),
            });
            for (var i = 0; i < Int(args[4]); i++)
            {
                try
                {
                    await breaker.ExecuteAsync(_ => args[3] == "fail" ? throw new InvalidOperationException("down") : ValueTask.FromResult(1));
                    Report("RAN");
                }
                catch (InvalidOperationException)
                {
                    Report("FAILED");
                }
                catch (CircuitBreakerOpenException e)
                {
                    Report("REJECTED " + e.RetryAt.ToUnixTimeMilliseconds());
                }
            }

            Report("STATE " + await breaker.GetStateAsync());
            break;
        }

        case "hold-lock":
            Report(await Leases.HoldAsync(path, args[2], Int(args[3]), OpenAsync));
            break;

        case "semaphore-storm":
            Report(await Semaphores.StormAsync(path, args[2], Int(args[3]), Int(args[4]), Int(args[5]), OpenAsync, () => BarrierAsync(args, 6)));
            break;

        case "rate-storm":
            Report(await RateLimits.StormAsync(
                path, args[2], args[3], Int(args[4]), Int(args[5]), args[6] == "open", args.Length > 7 ? args[7] : null, OpenAsync, () => BarrierAsync(args, 7)));
            break;

        case "breaker-storm":
            Report(await Breakers.StormAsync(
                path, args[2], args[3], Int(args[4]), Int(args[5]), Int(args[6]), Int(args[7]), args[8], OpenAsync, () => BarrierAsync(args, 8)));
            break;

        case "cache-storm":
            foreach (var line in await Caches.StormAsync(path, args[2], Int(args[3]), Int(args[4]), Int(args[5]), OpenAsync, () => BarrierAsync(args, 6)))
            {
                Report(line);
            }

            break;

        case "cache-runner-hang":
            Report(await Caches.HangAsync(path, args[2], Int(args[3]), OpenAsync));
            break;

        case "hold-permit":
            Report(await Semaphores.HoldAsync(path, args[2], Int(args[3]), Int(args[4]), OpenAsync));
            break;

        case "lease-storm":
            Report(await Leases.StormAsync(path, args[2], Int(args[3]), Int(args[4]), Int(args[5]), Int(args[6]), OpenAsync, () => BarrierAsync(args, 7)));
            break;

        case "block-writer":
            Report(await Leases.BlockWriterAsync(path, Int(args[2]), Int(args[3]), Int(args[4]), () => BarrierAsync(args, 5)));
            break;

        case "execute-once-stall":
            foreach (var line in await Leases.ExecuteOnceStallAsync(path, args[2], args[3], Int(args[4]), Int(args[5]), Int(args[6]), OpenAsync, () => BarrierAsync(args, 7)))
            {
                Report(line);
            }

            break;

        case "starved-pool":
        {
            Report(await StarvedPool.RunAsync(path, Int(args[2]), Int(args[3])));
            break;
        }

        case "hold-write":
        {
            // Opens the file with plain SQLitePCLRaw, takes the write lock (BEGIN IMMEDIATE, one row written), prints "HELD",
            // and keeps it until a line arrives on stdin or args[2] ms passed; then commits and prints "RELEASED".
            SQLitePCL.Batteries_V2.Init();
            Check(SQLitePCL.raw.sqlite3_open_v2(path, out var db, SQLitePCL.raw.SQLITE_OPEN_READWRITE, null), db);
            Check(SQLitePCL.raw.sqlite3_exec(db, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS holder(x); INSERT INTO holder VALUES (1);"), db);
            Ack("HELD");
            var line = Task.Run(Console.ReadLine);
            await Task.WhenAny(line, Task.Delay(Int(args[2])));
            Check(SQLitePCL.raw.sqlite3_exec(db, "COMMIT"), db);
            Ack("RELEASED");
            SQLitePCL.raw.sqlite3_close_v2(db);
            break;
        }

        case "write-all":
        {
            // One write per provider; prints one result line each ("OK ..." or "ERR <Kind> <message>").
            await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { LockScope = LockScope.Database });
            Report(await Try(async () => await adapter.Cache.GetAsync<string>("k")));
            Report(await Try(async () => { await adapter.Cache.SetAsync("k", "w"); return "cache"; }));
            Report(await Try(async () => (await adapter.CircuitBreakers.RecordFailureAsync("k", 3)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Report(await Try(async () => { await adapter.Checkpoints.SaveAsync(new Checkpoint<int>("c", "t", 1, DateTimeOffset.UtcNow, 5, 1)); return "checkpoint"; }));
            Report(await Try(async () => { await adapter.Idempotency.SetAsync("k", 1); return "idempotency"; }));
            Report(await Try(async () => (await adapter.Locks.AcquireAsync("k", TimeSpan.FromSeconds(5))) is null ? "held" : "lock"));
            break;
        }

        case "sqlite-calls":
        {
            // One of each operation over the hot SQLite calls (bind, step, reset, column reads, changes), with the direct
            // e_sqlite3 calls (args[2] "direct") or with them switched off ("sqlitepclraw"); prints "DIRECT <bool>" and
            // one result line each. Both modes must print the same results.
            if (args[2] == "sqlitepclraw")
            {
                AppContext.SetSwitch("NativeAotPersistence.Sqlite.DirectCalls", false);
            }

            await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { LockScope = LockScope.Database });
            Report("DIRECT " + NativeAotPersistence.Sqlite.Sqlite3.IsDirect);
            var cache = adapter.Cache;
            Report(await Try(async () => await cache.GetAsync<string>("a")));
            await cache.SetAsync("a", "x");
            await cache.SetAsync("ab", "", TimeSpan.FromHours(1));
            await cache.SetAsync("b", "expired", TimeSpan.FromMilliseconds(1));
            await Task.Delay(20);
            Report(await Try(async () => await cache.GetAsync<string>("a")));
            Report(await Try(async () => await cache.GetAsync<string>("ab")));
            Report(await Try(async () => await cache.GetAsync<string>("b")));
            Report(await Try(async () => (await cache.AddAsync("a", "z")).ToString()));
            Report(await Try(async () => (await cache.HasAsync("ab")).ToString()));
            Report(await Try(async () => string.Join(",", (await cache.KeysAsync("a*")).Order(StringComparer.Ordinal))));
            Report(await Try(async () => (await cache.DeleteAsync("ab")).ToString()));
            Report(await Try(async () => (await adapter.CircuitBreakers.RecordFailureAsync("c", 5)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Report(await Try(async () => (await adapter.CircuitBreakers.RecordFailureAsync("c", 5)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Report(await Try(async () => (await adapter.CircuitBreakers.GetStateAsync("c"))?.FailureCount.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Report(await Try(async () =>
            {
                await adapter.Checkpoints.SaveAsync(new Checkpoint<string>("c1", "t", 3, DateTimeOffset.UnixEpoch, 40, "state", TimeSpan.FromSeconds(9)));
                return (await adapter.Checkpoints.LoadLatestAsync<string>("t")) is { } c ? $"{c.Sequence} {c.Progress} {c.Data} {c.EstimatedTimeRemaining}" : null;
            }));
            Report(await Try(async () =>
            {
                await adapter.Idempotency.SetAsync("i", 42);
                return (await adapter.Idempotency.GetAsync<int>("i"))?.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }));
            Report(await Try(async () =>
            {
                var held = await adapter.Locks.AcquireAsync("l", TimeSpan.FromMinutes(1), "me");
                var second = await adapter.Locks.AcquireAsync("l", TimeSpan.FromMinutes(1), "other");
                var extended = await held!.ExtendAsync(TimeSpan.FromMinutes(2));
                var owner = (await adapter.Locks.GetInfoAsync("l"))?.Owner;
                await held.ReleaseAsync();
                return $"{second is null} {extended} {owner} {await adapter.Locks.GetInfoAsync("l") is null}";
            }));
            break;
        }

        default:
            Console.Error.WriteLine($"unknown command '{command}'");
            return 2;
    }
}
catch (PersistenceException e)
{
    Console.WriteLine($"ERR {e.Kind} {e.Message}");
}

return 0;

static async Task<string> Try(Func<Task<string?>> action)
{
    try
    {
        return "OK " + (await action() ?? "<null>");
    }
    catch (PersistenceException e)
    {
        return $"ERR {e.Kind} {e.Message}";
    }
}

static void Report(string line) => Console.WriteLine(line);

// A SQLite file, or with "pg:" a PostgreSQL server reached by the connection string after it (another "machine").
static async ValueTask<IPersistenceAdapter> OpenAsync(string database, PersistenceAdapterOptions options) =>
    database.StartsWith("pg:", StringComparison.Ordinal)
        ? await PostgresAdapter.OpenAsync(database["pg:".Length..], options)
        : await SqliteAdapter.OpenAsync(database, options);

// A line the parent may rely on the moment it arrives: written and flushed before the next operation starts.
static void Ack(string line)
{
    lock (Console.Out)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}

// With a barrier directory at args[index]: says "ready-<pid>" there, then waits (at most a minute) for "go", so that
// processes started one after another begin their work together.
static async Task BarrierAsync(string[] args, int index)
{
    if (args.Length <= index)
    {
        return;
    }

    await File.WriteAllTextAsync(Path.Combine(args[index], $"ready-{Environment.ProcessId}"), "");
    var deadline = DateTime.UtcNow.AddMinutes(1);
    while (!File.Exists(Path.Combine(args[index], "go")) && DateTime.UtcNow < deadline)
    {
        await Task.Delay(2);
    }
}

static int Int(string text) => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

static void Check(int rc, SQLitePCL.sqlite3 db)
{
    if (rc != SQLitePCL.raw.SQLITE_OK)
    {
        throw new InvalidOperationException($"SQLite error {rc}: {SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string()}");
    }
}
