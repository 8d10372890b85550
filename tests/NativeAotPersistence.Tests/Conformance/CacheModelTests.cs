using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// Randomized model test: the same 10,000 cache operations (keys from a small space so they collide, values, TTLs
/// down to sub-millisecond, tags from a small space, removals by tag, fail-safe rows and GetOrSet over them, clock moves) against SQLite and <see cref="InMemoryPersistence"/> on one
/// <see cref="FakeTimeProvider"/>; every step must give the same result, errors included.
/// </summary>
public sealed class CacheModelTests
{
    private static readonly string[] KeySpace = ["k1", "k2", "k10", "K1", "k_1", "k%1", "é", "😀", " ", "a*b", "a?b", "[x]"];

    private static readonly string?[] Patterns = [null, "*", "k*", "k?", "*1", "?", "k_1", "k%1", "a*b", "a?b", "[x]", "", "*😀*", "K*"];

    private static readonly string[] TagSpace = ["a", "b", "tenant:7", "ünï", "x\"y", "A"];

    private static readonly string?[] Values = [null, "", "v", "value", "日本", "\"quoted\"", "😀", new string('z', 300)];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task RandomCacheOperations_MatchInMemory(int seed, bool file)
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(Backend.Start);
        var options = new PersistenceAdapterOptions { KeyPrefix = "model:", TimeProvider = time };
        await using var sqlite = await SqliteAdapter.OpenAsync(file ? dir.File("model.db") : ":memory:", options);
        await using var memory = new InMemoryPersistence(options);
        await memory.ConnectAsync(Ct);

        var random = new Random(seed);
        for (var step = 0; step < 10_000; step++)
        {
            var op = NextOperation(random);
            var expected = await RunAsync(sqlite, op);
            var actual = await RunAsync(memory, op);
            Assert.True(expected == actual, $"step {step}, {op}: SQLite gave '{expected}', InMemory gave '{actual}'");
            if (op.Kind == Kind.Advance)
            {
                time.Advance(op.Delay);
            }
        }

        Assert.Equal(await sqlite.Cache.KeysAsync(cancellationToken: Ct), await memory.Cache.KeysAsync(cancellationToken: Ct));
        if (file)
        {
            // The tags' index is exactly what the entries' tags say: no row for a gone or retagged entry, none missing.
            using var raw = new Sqlite.RawSqlite(dir.File("model.db"));
            const string fromEntries = "SELECT j.value, c.key FROM go_goscope_cache c, json_each(c.tags) j WHERE c.tags IS NOT NULL";
            Assert.Equal(0, raw.Count($"SELECT count(*) FROM (SELECT tag, key FROM go_goscope_cache_tags EXCEPT {fromEntries})"));
            Assert.Equal(0, raw.Count($"SELECT count(*) FROM ({fromEntries} EXCEPT SELECT tag, key FROM go_goscope_cache_tags)"));
            Assert.True(raw.Count("SELECT count(*) FROM go_goscope_cache_tags") > 0, "the run left no tagged entry: the check says nothing");
        }
    }

    private static Operation NextOperation(Random random)
    {
        var key = KeySpace[random.Next(KeySpace.Length)];
        var roll = random.Next(100);
        var kind = roll switch
        {
            < 22 => Kind.Set,
            < 32 => Kind.Add,
            < 50 => Kind.Get,
            < 57 => Kind.TryGet,
            < 64 => Kind.Delete,
            < 71 => Kind.Has,
            < 78 => Kind.Keys,
            < 79 => Kind.Clear,
            < 80 => Kind.Prune,
            < 82 => Kind.GetInt,
            < 86 => Kind.SetTagged,
            < 89 => Kind.RemoveByTag,
            < 92 => Kind.GetOrSetFailing,
            < 94 => Kind.GetOrSetStoring,
            _ => Kind.Advance,
        };
        var ttl = random.Next(10) switch
        {
            0 => (TimeSpan?)null,
            1 => Timeout.InfiniteTimeSpan,
            2 => TimeSpan.FromTicks(random.Next(1, (int)TimeSpan.TicksPerMillisecond)),
            3 when random.Next(20) == 0 => TimeSpan.Zero,
            _ => TimeSpan.FromTicks(random.NextInt64(1, 40 * TimeSpan.TicksPerMillisecond)),
        };
        var delay = random.Next(4) == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(random.NextInt64(0, 15 * TimeSpan.TicksPerMillisecond));
        var tags = Enumerable.Range(0, random.Next(4)).Select(_ => TagSpace[random.Next(TagSpace.Length)]).ToArray();
        var failSafe = random.Next(3) == 0 ? TimeSpan.FromTicks(random.NextInt64(1, 30 * TimeSpan.TicksPerMillisecond)) : (TimeSpan?)null;
        return new Operation(kind, key, Values[random.Next(Values.Length)], ttl, Patterns[random.Next(Patterns.Length)], delay, tags, random.Next(3) == 0, failSafe);
    }

    private static async Task<string> RunAsync(IPersistenceAdapter p, Operation op)
    {
        try
        {
            switch (op.Kind)
            {
                case Kind.Set:
                    await p.Cache.SetAsync(op.Key, op.Value, op.Ttl, Ct);
                    return "ok";
                case Kind.Add:
                    return (await p.Cache.AddAsync(op.Key, op.Value, op.Ttl, Ct)).ToString();
                case Kind.SetTagged:
                    await p.Cache.SetAsync(op.Key, op.Value, Entry(op), Ct);
                    return "ok";
                case Kind.GetOrSetFailing:
                case Kind.GetOrSetStoring:
                    try
                    {
                        var result = await p.Cache.GetOrSetResultAsync(
                            op.Key,
                            _ => op.Kind == Kind.GetOrSetStoring ? ValueTask.FromResult(op.Value) : throw new InvalidOperationException("down"),
                            new GetOrSetOptions { Entry = Entry(op) },
                            cancellationToken: Ct);
                        return $"{result.Source}:{Show(result.Value)}";
                    }
                    catch (InvalidOperationException)
                    {
                        return "failed";
                    }

                case Kind.RemoveByTag:
                    // The count includes expired rows the amortized sweep has not taken yet, which differ by backend (see
                    // Prune): the effect is compared, by every later step.
                    await p.Cache.RemoveByTagAsync(op.Tags.Length > 0 ? op.Tags[0] : "a", Ct);
                    return "ok";
                case Kind.Get:
                    return Show(await p.Cache.GetAsync<string?>(op.Key, Ct));
                case Kind.TryGet:
                    var lookup = await p.Cache.TryGetAsync<string?>(op.Key, Ct);
                    return $"{lookup.Found}:{Show(lookup.Value)}";
                case Kind.GetInt:
                    return (await p.Cache.GetAsync<int>(op.Key, Ct)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                case Kind.Delete:
                    return (await p.Cache.DeleteAsync(op.Key, Ct)).ToString();
                case Kind.Has:
                    return (await p.Cache.HasAsync(op.Key, Ct)).ToString();
                case Kind.Keys:
                    return "[" + string.Join("|", await p.Cache.KeysAsync(op.Pattern, Ct)) + "]";
                case Kind.Clear:
                    await p.Cache.ClearAsync(Ct);
                    return "ok";
                case Kind.Prune:
                    // Which expired rows the amortized sweep took first is not observable through the cache API (and
                    // SQLite's choice depends on its query plan), so the count is not compared; the effect is.
                    await p.PruneAsync(Ct);
                    return "ok";
                default:
                    return "advance";
            }
        }
        catch (Exception e) when (e is ArgumentException or PayloadFormatException)
        {
            return e is PayloadFormatException format ? $"{e.GetType().Name}({format.Key},{format.PayloadType.Name})" : e.GetType().Name;
        }
    }

    /// <summary>Tags, an absolute or sliding expiry from the TTL, and a fail-safe span (an error with a sliding expiry).</summary>
    private static CacheEntryOptions Entry(Operation op)
    {
        var live = op.Ttl is { } ttl && ttl > TimeSpan.Zero && ttl != Timeout.InfiniteTimeSpan ? ttl : (TimeSpan?)null;
        return new CacheEntryOptions
        {
            Tags = op.Tags,
            AbsoluteExpirationRelativeToNow = op.Sliding ? null : live,
            SlidingExpiration = op.Sliding ? live : null,
            FailSafeMaxDuration = op.FailSafe,
        };
    }

    private static string Show(string? value) => value is null ? "<null>" : "'" + value + "'";

    private enum Kind
    {
        Set,
        Add,
        Get,
        TryGet,
        GetInt,
        Delete,
        Has,
        Keys,
        Clear,
        Prune,
        SetTagged,
        RemoveByTag,
        GetOrSetFailing,
        GetOrSetStoring,
        Advance,
    }

    private sealed record Operation(Kind Kind, string Key, string? Value, TimeSpan? Ttl, string? Pattern, TimeSpan Delay, string[] Tags, bool Sliding, TimeSpan? FailSafe)
    {
        public override string ToString() =>
            $"{Kind} {Key} {Show(Value)} ttl={Ttl} pattern={Pattern} tags=[{string.Join("|", Tags)}] sliding={Sliding} failsafe={FailSafe} delay={Delay}";
    }
}
