using System.Diagnostics;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--writes [rounds]`: group commit against what is physically possible, on a WAL file with synchronous=NORMAL (and
/// FULL). The floor commits 1, 8 and 32 upserts per transaction on one thread (and with a savepoint around each row,
/// as group commit does); the library runs 1, 8 and 32 concurrent writers awaiting SetAsync in a loop. Interleaved
/// rounds of a fixed time; prints median rows/s and the ratios to one row (one writer). `--writes [rounds] [Normal|Full]
/// spread`: every row goes to one of 1,000 stored keys in turn (most rows of a transaction on a page of their own)
/// instead of one of 32 keys that share a page.
/// </summary>
internal static class GroupCommitRatios
{
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(500);

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7;
        var durabilities = args.Length > 2 ? [Enum.Parse<SqliteDurability>(args[2])] : new[] { SqliteDurability.Normal, SqliteDurability.Full };
        var spread = args.Length > 3 && args[3] == "spread";
        foreach (var durability in durabilities)
        {
            var dir = BenchFiles.NewDirectory();
            try
            {
                using var floor = new WriteFloor(Path.Combine(dir, "floor.db"), durability == SqliteDurability.Full, spread);
                await using var ours = await SqliteAdapter.OpenAsync(
                    Path.Combine(dir, "ours.db"),
                    new PersistenceAdapterOptions { Payloads = BenchPayloads.Default },
                    new SqliteOpenOptions { Durability = durability });
                if (spread)
                {
                    foreach (var key in SpreadKeys)
                    {
                        await ours.Cache.SetAsync(key, Samples.Small);
                    }
                }

                var configs = new (string Name, Func<double> Run)[]
                {
                    ("floor 1 row/tx", () => floor.Measure(1, false)),
                    ("floor 8 rows/tx", () => floor.Measure(8, false)),
                    ("floor 32 rows/tx", () => floor.Measure(32, false)),
                    ("floor 8 rows/tx + savepoints", () => floor.Measure(8, true)),
                    ("floor 32 rows/tx + savepoints", () => floor.Measure(32, true)),
                    ("ours 1 writer", () => Ours(ours, 1, spread)),
                    ("ours 8 writers", () => Ours(ours, 8, spread)),
                    ("ours 32 writers", () => Ours(ours, 32, spread)),
                };
                if (Environment.GetEnvironmentVariable("WRITES_ONLY") is { } only)
                {
                    configs = [configs[int.Parse(only, System.Globalization.CultureInfo.InvariantCulture)]];
                }

                var results = configs.Select(_ => new List<double>()).ToArray();
                for (var round = 0; round < rounds; round++)
                {
                    for (var i = 0; i < configs.Length; i++)
                    {
                        var c = round % 2 == 0 ? i : configs.Length - 1 - i;
                        results[c].Add(configs[c].Run());
                    }
                }

                Console.WriteLine($"{durability}{(spread ? ", keys spread over 1,000 rows" : "")}: rows/s, median of {rounds} interleaved rounds of {RoundTime.TotalMilliseconds} ms; ratio to 1 row/tx (1 writer) per round, median (min-max)");
                for (var i = 0; i < configs.Length; i++)
                {
                    var baseline = configs.Length == 1 ? results[0] : i < 5 ? results[0] : results[5];
                    var ratios = results[i].Zip(baseline, (a, b) => a / b).ToList();
                    Console.WriteLine($"  {configs[i].Name,-30} {Median(results[i]),10:N0}   x{Median(ratios):0.00} ({ratios.Min():0.00}-{ratios.Max():0.00})");
                }
            }
            finally
            {
                BenchFiles.Delete(dir);
            }
        }
    }

    private static readonly string[] SpreadKeys = Enumerable.Range(0, 1000).Select(i => $"key{i:000}").ToArray();

    private static double Ours(SqliteAdapter adapter, int writers, bool spread)
    {
        var stop = 0;
        var counts = new long[writers];
        var cache = adapter.Cache;
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            long n = 0;
            var own = "key" + w;
            while (Volatile.Read(ref stop) == 0)
            {
                await cache.SetAsync(spread ? SpreadKeys[(int)(((w * 31) + n) % SpreadKeys.Length)] : own, Samples.Small);
                n++;
            }

            counts[w] = n;
        })).ToArray();
        Thread.Sleep(RoundTime);
        Volatile.Write(ref stop, 1);
        Task.WaitAll(tasks);
        if (Environment.GetEnvironmentVariable("NAP_GROUPS") is not null)
        {
            Console.WriteLine($"    {writers} writers: {counts.Sum()} writes, groups {Groups.Count} (mean {(Groups.Count == 0 ? 0 : Groups.Sum / (double)Groups.Count):0.0})");
            Groups.Reset();
        }
        var rate = counts.Sum() / Stopwatch.GetElapsedTime(started).TotalSeconds;
        return rate;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private sealed class WriteFloor : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _set;
        private readonly sqlite3_stmt _begin;
        private readonly sqlite3_stmt _commit;
        private readonly sqlite3_stmt _savepoint;
        private readonly sqlite3_stmt _release;
        private readonly ArrayBufferWriterLite _buffer = new();
        private readonly System.Text.Json.Utf8JsonWriter _writer;

        private readonly bool _spread;
        private int _next;

        public WriteFloor(string path, bool full, bool spread)
        {
            _spread = spread;
            Batteries_V2.Init();
            _ = sqlite3_open_v2(path, out _db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, null);
            _ = sqlite3_exec(_db, "PRAGMA journal_mode=WAL");
            _ = sqlite3_exec(_db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
            _ = sqlite3_exec(_db, "CREATE TABLE floor_cache(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER, created_at INTEGER); CREATE INDEX idx_floor_expires ON floor_cache(expires_at)");
            _ = sqlite3_prepare_v3(_db, "INSERT INTO floor_cache(key, value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at"u8, SQLITE_PREPARE_PERSISTENT, out _set);
            _ = sqlite3_prepare_v3(_db, "BEGIN IMMEDIATE"u8, SQLITE_PREPARE_PERSISTENT, out _begin);
            _ = sqlite3_prepare_v3(_db, "COMMIT"u8, SQLITE_PREPARE_PERSISTENT, out _commit);
            _ = sqlite3_prepare_v3(_db, "SAVEPOINT w"u8, SQLITE_PREPARE_PERSISTENT, out _savepoint);
            _ = sqlite3_prepare_v3(_db, "RELEASE w"u8, SQLITE_PREPARE_PERSISTENT, out _release);
            _writer = new System.Text.Json.Utf8JsonWriter(_buffer);
            if (spread)
            {
                // The 1,000 rows, with the same payload the library's table starts with.
                Step(_begin);
                for (var k = 0; k < 1000; k++)
                {
                    _ = sqlite3_bind_text(_set, 1, System.Text.Encoding.UTF8.GetBytes($"cache:key{k:000}"));
                    BindPayload();
                    _ = sqlite3_bind_null(_set, 3);
                    _ = sqlite3_bind_int64(_set, 4, 0);
                    Step(_set);
                }

                Step(_commit);
            }
        }

        public double Measure(int rowsPerTransaction, bool savepoints)
        {
            Span<byte> key = stackalloc byte[16];
            long rows = 0;
            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started) < RoundTime)
            {
                if (rowsPerTransaction > 1)
                {
                    Step(_begin);
                }

                for (var i = 0; i < rowsPerTransaction; i++)
                {
                    if (savepoints)
                    {
                        Step(_savepoint);
                    }

                    "cache:key"u8.CopyTo(key);
                    int length;
                    if (_spread)
                    {
                        // Row i of the transaction as the i-th of the library's writers would write it: 31 keys apart.
                        var k = ((i * 31) + _next) % 1000;
                        key[9] = (byte)('0' + (k / 100));
                        key[10] = (byte)('0' + (k / 10 % 10));
                        key[11] = (byte)('0' + (k % 10));
                        length = 12;
                    }
                    else
                    {
                        key[9] = (byte)('a' + i);
                        length = 10;
                    }

                    _ = sqlite3_bind_text(_set, 1, key[..length]);
                    BindPayload();
                    _ = sqlite3_bind_null(_set, 3);
                    _ = sqlite3_bind_int64(_set, 4, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    Step(_set);
                    if (savepoints)
                    {
                        Step(_release);
                    }
                }

                if (rowsPerTransaction > 1)
                {
                    Step(_commit);
                }

                rows += rowsPerTransaction;
                _next++;
            }

            return rows / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        public void Dispose()
        {
            foreach (var s in new[] { _set, _begin, _commit, _savepoint, _release })
            {
                s.Dispose();
            }

            _ = sqlite3_close_v2(_db);
            _db.Dispose();
            _writer.Dispose();
        }

        // Serialized per row with the same generated serializer, as every write does.
        private void BindPayload()
        {
            _buffer.Clear();
            _writer.Reset(_buffer);
            BenchPayloads.Default.SmallPayload.Write(_writer, Samples.Small);
            _writer.Flush();
            _ = sqlite3_bind_text(_set, 2, _buffer.WrittenSpan);
        }

        private static void Step(sqlite3_stmt statement)
        {
            var rc = sqlite3_step(statement);
            _ = sqlite3_reset(statement);
            if (rc != SQLITE_DONE)
            {
                throw new InvalidOperationException("SQLite error " + rc);
            }
        }
    }

    /// <summary>With NAP_GROUPS set, each round of the library also prints its group count and mean size (the library's meter).</summary>
    private static class Groups
    {
        private static readonly System.Diagnostics.Metrics.MeterListener Listener = Start();
        public static long Count;
        public static long Sum;

        public static void Reset()
        {
            _ = Listener;
            Count = 0;
            Sum = 0;
        }

        private static System.Diagnostics.Metrics.MeterListener Start()
        {
            var l = new System.Diagnostics.Metrics.MeterListener();
            l.InstrumentPublished = (i, l2) =>
            {
                if (i.Name == "nap.group_commit.writes")
                {
                    l2.EnableMeasurementEvents(i);
                }
            };
            l.SetMeasurementEventCallback<int>((_, v, _, _) =>
            {
                Interlocked.Increment(ref Count);
                Interlocked.Add(ref Sum, v);
            });
            l.Start();
            return l;
        }
    }
}
