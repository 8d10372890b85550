using System.Diagnostics;
using NativeAotPersistence.Sqlite;
using SQLitePCL;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--engine [rounds]`: whether two hand-written parts of the SQLite engine pay for themselves, measured as interleaved
/// A/B rounds in one process (the order alternates each round, so drift and a noisy neighbor hit both sides alike),
/// each difference set against a whole cache operation timed in the same round.
/// <list type="bullet">
/// <item>ConnectionGate against SemaphoreSlim: TryEnter + Release against Wait(0) + Release (what every operation does
/// once), and the uncontended async enter + Release; against a <c>:memory:</c> get-hit.</item>
/// <item>Sqlite3's direct e_sqlite3 calls against SQLitePCLRaw's <c>raw.*</c>: the exact native calls of a cache
/// get-hit and of a set, on the adapter's own prepared statements, in both call forms; against that get-hit and that
/// set, on <c>:memory:</c> and on a WAL file.</item>
/// </list>
/// </summary>
internal static class EngineRatios
{
    private const int DefaultRounds = 61;
    private const int GateOps = 200_000;
    private const int CallOps = 10_000;

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : DefaultRounds;
        Console.WriteLine(
            $"{rounds} interleaved A/B rounds, medians (ns/op); {Environment.ProcessorCount} cores, .NET {Environment.Version}, Sqlite3.IsDirect={Sqlite3.IsDirect}");
        await GateAsync(rounds);
        foreach (var store in new[] { Store.Memory, Store.WalFile })
        {
            await CallsAsync(store, rounds);
        }
    }

    private static async Task GateAsync(int rounds)
    {
        await using var adapter = await SqliteAdapter.OpenAsync(":memory:", new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
        var cache = adapter.Cache;
        await cache.SetAsync("user:42", Samples.Small);
        Action op = () => _ = cache.GetAsync<SmallPayload>("user:42").Result;

        var gate = new ConnectionGate();
        using var semaphore = new SemaphoreSlim(1, 1);
        Action gateSync = () =>
        {
            if (gate.TryEnter())
            {
                gate.Release();
            }
        };
        Action semaphoreSync = () =>
        {
            if (semaphore.Wait(0))
            {
                semaphore.Release();
            }
        };
        Action gateAsync = () =>
        {
            var entered = gate.WaitAsync(CancellationToken.None);
            Check(entered.IsCompletedSuccessfully);
            gate.Release();
        };
        Action semaphoreAsync = () =>
        {
            var entered = semaphore.WaitAsync(CancellationToken.None);
            Check(entered.IsCompletedSuccessfully);
            semaphore.Release();
        };

        Report("gate: TryEnter+Release", "ConnectionGate", "SemaphoreSlim", ":memory: get-hit", Pair(rounds, gateSync, semaphoreSync, GateOps, op, CallOps));
        Report("gate: async enter+Release", "ConnectionGate", "SemaphoreSlim", ":memory: get-hit", Pair(rounds, gateAsync, semaphoreAsync, GateOps, op, CallOps));
    }

    private static async Task CallsAsync(Store store, int rounds)
    {
        var dir = BenchFiles.NewDirectory();
        try
        {
            var path = store == Store.Memory ? ":memory:" : Path.Combine(dir, "engine.db");
            var name = store == Store.Memory ? ":memory:" : "WAL file";
            await using var adapter = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { Payloads = BenchPayloads.Default });
            var cache = adapter.Cache;
            await cache.SetAsync("user:42", Samples.Small);
            Action getOp = () => _ = cache.GetAsync<SmallPayload>("user:42").Result;
            Action setOp = () => cache.SetAsync("user:42", Samples.Small).GetAwaiter().GetResult();

            // The writer's own prepared statements, with the native calls the provider makes, in both forms. The writer
            // is only used between the whole operations here (one thread), so its statements are free meanwhile.
            var writer = adapter.Pool.Writer;
            var get = Prepared(writer, SqliteCacheSql.Get);
            var set = Prepared(writer, SqliteCacheSql.Set);
            var key = "cache:user:42"u8.ToArray();
            var payload = BenchPayloads.Default.SmallPayload.Serialize(Samples.Small);

            Action getDirect = () =>
            {
                Sqlite3.BindText(get, 1, key);
                Sqlite3.BindInt64(get, 2, Now());
                Check(Sqlite3.Step(get) == raw.SQLITE_ROW);
                _ = raw.sqlite3_column_blob(get, 0);
                _ = Sqlite3.ColumnType(get, 1);
                Sqlite3.Reset(get);
            };
            Action getRaw = () =>
            {
                raw.sqlite3_bind_text(get, 1, key);
                raw.sqlite3_bind_int64(get, 2, Now());
                Check(raw.sqlite3_step(get) == raw.SQLITE_ROW);
                _ = raw.sqlite3_column_blob(get, 0);
                _ = raw.sqlite3_column_type(get, 1);
                raw.sqlite3_reset(get);
            };
            Action setDirect = () =>
            {
                Sqlite3.BindText(set, 1, key);
                Sqlite3.BindText(set, 2, payload);
                Sqlite3.BindNull(set, 3);
                Sqlite3.BindInt64(set, 4, Now());
                Check(Sqlite3.Step(set) == raw.SQLITE_DONE);
                Sqlite3.Reset(set);
                Sqlite3.ClearBindings(set);
            };
            Action setRaw = () =>
            {
                raw.sqlite3_bind_text(set, 1, key);
                raw.sqlite3_bind_text(set, 2, payload);
                raw.sqlite3_bind_null(set, 3);
                raw.sqlite3_bind_int64(set, 4, Now());
                Check(raw.sqlite3_step(set) == raw.SQLITE_DONE);
                raw.sqlite3_reset(set);
                raw.sqlite3_clear_bindings(set);
            };

            Report($"calls: {name} get-hit", "direct", "raw", $"{name} get-hit", Pair(rounds, getDirect, getRaw, CallOps, getOp, CallOps));
            Report($"calls: {name} set", "direct", "raw", $"{name} set", Pair(rounds, setDirect, setRaw, CallOps, setOp, CallOps));
        }
        finally
        {
            BenchFiles.Delete(dir);
        }
    }

    private static sqlite3_stmt Prepared(SqliteConnection connection, SqlStatement sql)
    {
        using var statement = connection.Statement(sql, "bench");
        return statement.Handle;
    }

    /// <summary>A and B in rounds of alternating order, and the whole operation in each round: per-round times of each.</summary>
    private static (List<double> A, List<double> B, List<double> Op) Pair(int rounds, Action a, Action b, int pairOps, Action op, int opOps)
    {
        // Warm-up, then a pause for the tiered JIT to install the optimized code.
        for (var i = 0; i < 3; i++)
        {
            Time(a, pairOps / 10);
            Time(b, pairOps / 10);
            Time(op, opOps / 10);
            Thread.Sleep(200);
        }

        var (ta, tb, top) = (new List<double>(), new List<double>(), new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                ta.Add(Time(a, pairOps));
                top.Add(Time(op, opOps));
                tb.Add(Time(b, pairOps));
            }
            else
            {
                tb.Add(Time(b, pairOps));
                top.Add(Time(op, opOps));
                ta.Add(Time(a, pairOps));
            }
        }

        return (ta, tb, top);
    }

    private static void Report(string what, string nameA, string nameB, string opName, (List<double> A, List<double> B, List<double> Op) t)
    {
        var saved = t.B.Zip(t.A, (b, a) => b - a).ToList();
        var share = saved.Zip(t.Op, (s, o) => 100 * s / o).ToList();
        var wins = saved.Count(s => s > 0);
        Console.WriteLine(
            $"{what,-28} {nameA} {Median(t.A),7:0.0}  {nameB} {Median(t.B),7:0.0}  => {nameA} saves {Median(saved),6:0.0} ns/op"
            + $" = {Median(share),5:0.0}% of a {opName} ({Median(t.Op):0} ns; per-round share {Percentile(share, 0.1):0.0}..{Percentile(share, 0.9):0.0}%, {nameA} faster in {wins}/{saved.Count} rounds)");
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static void Check(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("The benchmark's call sequence did not behave as the provider's does.");
        }
    }

    private static double Time(Action action, int ops)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < ops; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / ops;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Round(p * (sorted.Count - 1))];
    }
}
