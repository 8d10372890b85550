using System.Diagnostics;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// `--writes [rounds]`: group commit against what is physically possible, on a WAL file with synchronous=NORMAL (and
/// FULL). The floor commits 1, 8 and 32 upserts per transaction on one thread (and with a savepoint around each row,
/// as group commit does); the library runs 1, 8 and 32 concurrent writers awaiting SetAsync in a loop. Interleaved
/// rounds of a fixed time; prints median rows/s and the ratios to one row (one writer).
/// </summary>
internal static class GroupCommitRatios
{
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(500);

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7;
        var durabilities = args.Length > 2 ? [Enum.Parse<SqliteDurability>(args[2])] : new[] { SqliteDurability.Normal, SqliteDurability.Full };
        foreach (var durability in durabilities)
        {
            var dir = BenchFiles.NewDirectory();
            try
            {
                using var floor = new WriteFloor(Path.Combine(dir, "floor.db"), durability == SqliteDurability.Full);
                await using var ours = await SqliteAdapter.OpenAsync(
                    Path.Combine(dir, "ours.db"),
                    new PersistenceAdapterOptions { Payloads = BenchPayloads.Default },
                    new SqliteOpenOptions { Durability = durability });
                var configs = new (string Name, Func<double> Run)[]
                {
                    ("floor 1 row/tx", () => floor.Measure(1, false)),
                    ("floor 8 rows/tx", () => floor.Measure(8, false)),
                    ("floor 32 rows/tx", () => floor.Measure(32, false)),
                    ("floor 8 rows/tx + savepoints", () => floor.Measure(8, true)),
                    ("floor 32 rows/tx + savepoints", () => floor.Measure(32, true)),
                    ("ours 1 writer", () => Ours(ours, 1)),
                    ("ours 8 writers", () => Ours(ours, 8)),
                    ("ours 32 writers", () => Ours(ours, 32)),
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

                Console.WriteLine($"{durability}: rows/s, median of {rounds} interleaved rounds of {RoundTime.TotalMilliseconds} ms; ratio to 1 row/tx (1 writer) per round, median (min-max)");
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

    private static double Ours(SqliteAdapter adapter, int writers)
    {
        var stop = 0;
        var counts = new long[writers];
        var cache = adapter.Cache;
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            long n = 0;
            var key = "key" + w;
            while (Volatile.Read(ref stop) == 0)
            {
                await cache.SetAsync(key, Samples.Small);
                n++;
            }

            counts[w] = n;
        })).ToArray();
        Thread.Sleep(RoundTime);
        Volatile.Write(ref stop, 1);
        Task.WaitAll(tasks);
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

        public WriteFloor(string path, bool full)
        {
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
                    key[9] = (byte)('a' + i);
                    _ = sqlite3_bind_text(_set, 1, key[..10]);
                    // Serialized per row with the same generated serializer, as every write does.
                    _buffer.Clear();
                    _writer.Reset(_buffer);
                    BenchPayloads.Default.SmallPayload.Write(_writer, Samples.Small);
                    _writer.Flush();
                    _ = sqlite3_bind_text(_set, 2, _buffer.WrittenSpan);
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
}
