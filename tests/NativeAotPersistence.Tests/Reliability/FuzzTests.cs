using System.Globalization;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Issue 9, test 5 (second half): seeded random operation sequences with random (and hostile) keys, run in lockstep on
/// several backends that must give identical observable results, errors included.
/// </summary>
public class FuzzTests
{
    private const int Operations = 5000;

    private static PersistenceAdapterOptions Options(TimeProvider time) =>
        new() { TimeProvider = time, LockScope = LockScope.Database, KeyPrefix = "fz%_" };

    /// <summary>The backends compared. The first is the model the others must agree with.</summary>
    private static readonly (string Name, Func<TempDirectory, TimeProvider, ValueTask<IPersistenceAdapter>> Open)[] s_backends =
    [
        ("in-memory", async (_, time) =>
        {
            var adapter = new InMemoryPersistence(Options(time));
            await adapter.ConnectAsync();
            return adapter;
        }),
        (":memory:", async (_, time) => await SqliteAdapter.OpenAsync(":memory:", Options(time))),
        ("wal-file", async (dir, time) => await SqliteAdapter.OpenAsync(dir.File("fuzz.db"), Options(time))),
        ("wal-file-no-readers", async (dir, time) => await SqliteAdapter.OpenAsync(dir.File("fuzz-exclusive.db"), Options(time), new SqliteOpenOptions { ReaderConnections = 0 })),
    ];

    private static readonly string[] s_keys =
        ["a", "b", "ab", "a*", "%", "_", " ", "'", "k\0", "ключ", "a:b", "cache:a", "😀", "[x]", "", "\ud800"];

    private static readonly string[] s_patterns = ["*", "a*", "?", "*b", "%", "_", "a?b", "[x]", "*:*", "\\"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(20261125)]
    public async Task RandomOperationSequences_GiveIdenticalResultsOnEveryBackend(int seed)
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        var adapters = new List<IPersistenceAdapter>();
        try
        {
            foreach (var (_, open) in s_backends)
            {
                adapters.Add(await open(dir, time));
            }

            var random = new Random(seed);
            var log = new List<string>();
            for (var i = 0; i < Operations; i++)
            {
                var op = NextOperation(random);
                if (op.Advance is { } advance)
                {
                    time.Advance(advance);
                    continue;
                }

                var results = new string[adapters.Count];
                for (var b = 0; b < adapters.Count; b++)
                {
                    results[b] = await RunAsync(op.Run, adapters[b]);
                }

                log.Add($"{i}: {op.Text} -> {results[0]}");
                for (var b = 1; b < adapters.Count; b++)
                {
                    Assert.True(
                        results[b] == results[0],
                        $"seed {seed}, operation {i}: {op.Text}\n{s_backends[0].Name}: {results[0]}\n{s_backends[b].Name}: {results[b]}\n" +
                        "last operations:\n" + string.Join("\n", log.TakeLast(15)));
                }
            }

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"seed {seed}: {log.Count} operations agreed on {adapters.Count} backends; " +
                $"{log.Count(l => l.Contains("-> !", StringComparison.Ordinal))} of them were errors");
        }
        finally
        {
            foreach (var adapter in adapters)
            {
                await adapter.DisposeAsync();
            }
        }
    }

    private static async Task<string> RunAsync(Func<IPersistenceAdapter, Task<string>> run, IPersistenceAdapter adapter)
    {
        try
        {
            return await run(adapter);
        }
        catch (PersistenceException e)
        {
            return $"!{e.GetType().Name}:{e.Kind}";
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return "!" + e.GetType().Name;
        }
    }

    private readonly record struct Operation(string Text, Func<IPersistenceAdapter, Task<string>> Run, TimeSpan? Advance = null);

    private static string Show(object? value) => value switch
    {
        null => "null",
        DateTimeOffset d => d.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        IEnumerable<string> list => "[" + string.Join("|", list.Select(Escape)) + "]",
        string s => Escape(s),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string Escape(string s)
    {
        var b = new StringBuilder();
        foreach (var c in s)
        {
            b.Append(c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c);
        }

        return b.ToString();
    }

    private static Operation NextOperation(Random r)
    {
        var k = s_keys[r.Next(s_keys.Length)];
        var v = r.Next(1000);
        var ttl = r.Next(4) switch
        {
            0 => (TimeSpan?)null,
            1 => TimeSpan.FromMilliseconds(r.Next(1, 3000)),
            2 => TimeSpan.FromSeconds(r.Next(1, 60)),
            _ => r.Next(10) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(50),
        };
        var task = "task" + s_keys[r.Next(4)];
        var owner = r.Next(2) == 0 ? "o1" : "o2";
        var kind = r.Next(26);
        var text = $"{kind} k={Escape(k)} v={v} ttl={ttl?.TotalMilliseconds} task={Escape(task)} owner={owner}";
        return kind switch
        {
            0 => new(text, null!, TimeSpan.FromMilliseconds(r.Next(0, 3000))),
            1 or 2 => new(text, async a => { await a.Cache.SetAsync(k, v, ttl); return "ok"; }),
            3 => new(text, async a => Show(await a.Cache.AddAsync(k, v, ttl))),
            4 or 5 => new(text, async a => await a.Cache.TryGetAsync<int>(k) is var l && l.Found ? Show(l.Value) : "miss"),
            6 => new(text, async a => Show(await a.Cache.HasAsync(k))),
            7 => new(text, async a => Show(await a.Cache.DeleteAsync(k))),
            8 => new(text + " pattern", async a => Show(await a.Cache.KeysAsync(s_patterns[v % s_patterns.Length]))),
            9 => new(text, async a => { if (v % 20 == 0) { await a.Cache.ClearAsync(); } return "ok"; }),
            10 or 11 => new(text, async a => Show(await a.CircuitBreakers.RecordFailureAsync(k, (v % 4) + 1))),
            12 => new(text, async a => { await a.CircuitBreakers.RecordSuccessAsync(k); return "ok"; }),
            13 => new(text, async a => await a.CircuitBreakers.GetStateAsync(k) is { } s
                ? $"{s.State} {s.FailureCount} {Show(s.LastFailureTime)} {Show(s.LastSuccessTime)}"
                : "null"),
            14 => new(text, async a =>
            {
                await a.Checkpoints.SaveAsync(new Checkpoint<int>(k, task, v % 7, DateTimeOffset.UnixEpoch.AddMilliseconds(v), v % 101, v));
                return "ok";
            }),
            15 => new(text, async a => await a.Checkpoints.LoadLatestAsync<int>(task) is { } c ? $"{Escape(c.Id)} {c.Sequence} {c.Data} {c.Progress}" : "null"),
            16 => new(text, async a => Show((await a.Checkpoints.ListAsync(task)).Select(c => $"{c.Id}/{c.Sequence}"))),
            17 => new(text, async a => { await a.Checkpoints.CleanupAsync(task, v % 4); return "ok"; }),
            18 => new(text, async a => { await a.Checkpoints.DeleteAllAsync(task); return "ok"; }),
            19 => new(text, async a => { await a.Idempotency.SetAsync(k, v, ttl); return "ok"; }),
            20 => new(text, async a => await a.Idempotency.GetAsync<int>(k) is { } rec ? $"{rec.Value} {Show(rec.ExpiresAt)}" : "null"),
            21 => new(text, async a => Show(await a.Idempotency.DeleteAsync(k))),
            22 => new(text, async a => Show(await a.Idempotency.ExecuteOnceAsync(k, ttl, _ => ValueTask.FromResult(v)))),
            23 => new(text, async a => await a.Locks.AcquireAsync(k, TimeSpan.FromMilliseconds((v * 5) + 1), owner) is { } h ? "token " + h.FencingToken : "null"),
            24 => new(text, async a => Show(await a.Locks.ExtendAsync(k, TimeSpan.FromMilliseconds((v * 5) + 1), owner))),
            _ => new(text, async a =>
            {
                if (v % 3 == 0)
                {
                    await a.Locks.ForceReleaseAsync(k);
                }

                return await a.Locks.GetInfoAsync(k) is { } i ? $"{i.Owner} {Show(i.ExpiresAt)} {i.FencingToken}" : "null";
            }),
        };
    }
}
