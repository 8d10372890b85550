using NativeAotPersistence.Tests.Sqlite;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// Issue 9, test 5 (first half): bad and hostile arguments to every public provider method. Each gets a typed result,
/// listed in docs/reliability.md ("Hostile input"), and the database stays consistent.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqliteAdapter _adapter = null!;

    public async ValueTask InitializeAsync() =>
        _adapter = await SqliteAdapter.OpenAsync(_dir.File("hostile.db"), new PersistenceAdapterOptions { LockScope = LockScope.Database });

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Every public provider method (and helper) that takes a key, called with that key.</summary>
    private static readonly (string Name, Func<SqliteAdapter, string, Task> Call)[] s_keyed =
    [
        ("cache.get", (a, k) => a.Cache.GetAsync<string>(k).AsTask()),
        ("cache.tryget", (a, k) => a.Cache.TryGetAsync<string>(k).AsTask()),
        ("cache.set", (a, k) => a.Cache.SetAsync(k, "v").AsTask()),
        ("cache.add", (a, k) => a.Cache.AddAsync(k, "v").AsTask()),
        ("cache.has", (a, k) => a.Cache.HasAsync(k).AsTask()),
        ("cache.delete", (a, k) => a.Cache.DeleteAsync(k).AsTask()),
        ("cache.getorset", (a, k) => a.Cache.GetOrSetAsync(k, _ => ValueTask.FromResult("v")).AsTask()),
        ("cache.getorset-options", (a, k) => a.Cache.GetOrSetResultAsync(k, _ => ValueTask.FromResult("v"), new GetOrSetOptions { Entry = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1), FailSafeMaxDuration = TimeSpan.FromMinutes(1) } }).AsTask()),
        ("lock.acquire", async (a, k) => { if (await a.Locks.AcquireAsync(k, TimeSpan.FromSeconds(5)) is { } h) { await h.ReleaseAsync(); } }),
        ("lock.acquire-wait", async (a, k) => { if (await a.Locks.AcquireAsync(k, TimeSpan.FromSeconds(5), TimeSpan.Zero) is { } h) { await h.ReleaseAsync(); } }),
        ("lock.acquire-owner", async (a, k) => { if (await a.Locks.AcquireAsync("owned", TimeSpan.FromSeconds(5), owner: k) is { } h) { await h.ReleaseAsync(); } }),
        ("lock.extend", (a, k) => a.Locks.ExtendAsync(k, TimeSpan.FromSeconds(5), "owner").AsTask()),
        ("lock.info", (a, k) => a.Locks.GetInfoAsync(k).AsTask()),
        ("lock.force_release", (a, k) => a.Locks.ForceReleaseAsync(k).AsTask()),
        ("circuit.get", (a, k) => a.CircuitBreakers.GetStateAsync(k).AsTask()),
        ("circuit.set", (a, k) => a.CircuitBreakers.SetStateAsync(k, new CircuitBreakerPersistedState(CircuitState.Closed, 0)).AsTask()),
        ("circuit.record_failure", (a, k) => a.CircuitBreakers.RecordFailureAsync(k, 3).AsTask()),
        ("circuit.record_success", (a, k) => a.CircuitBreakers.RecordSuccessAsync(k).AsTask()),
        ("circuit.breaker", (a, k) => new CircuitBreaker(a.CircuitBreakers, k).ExecuteAsync(_ => ValueTask.FromResult(1)).AsTask()),
        ("checkpoint.save-id", (a, k) => a.Checkpoints.SaveAsync(new Checkpoint<string>(k, "task", 1, DateTimeOffset.UnixEpoch, 0, "d")).AsTask()),
        ("checkpoint.save-task", (a, k) => a.Checkpoints.SaveAsync(new Checkpoint<string>("id", k, 1, DateTimeOffset.UnixEpoch, 0, "d")).AsTask()),
        ("checkpoint.load", (a, k) => a.Checkpoints.LoadAsync<string>(k).AsTask()),
        ("checkpoint.load_latest", (a, k) => a.Checkpoints.LoadLatestAsync<string>(k).AsTask()),
        ("checkpoint.list-info", (a, k) => a.Checkpoints.ListAsync(k).AsTask()),
        ("checkpoint.list", (a, k) => a.Checkpoints.ListAsync<string>(k).AsTask()),
        ("checkpoint.cleanup", (a, k) => a.Checkpoints.CleanupAsync(k, 1).AsTask()),
        ("checkpoint.delete_all", (a, k) => a.Checkpoints.DeleteAllAsync(k).AsTask()),
        ("checkpoint.run", (a, k) => CheckpointedTask.RunAsync<string, int>(a.Checkpoints, k, (_, _) => ValueTask.FromResult(1)).AsTask()),
        ("idempotency.get", (a, k) => a.Idempotency.GetAsync<string>(k).AsTask()),
        ("idempotency.set", (a, k) => a.Idempotency.SetAsync(k, "v").AsTask()),
        ("idempotency.delete", (a, k) => a.Idempotency.DeleteAsync(k).AsTask()),
        ("idempotency.execute_once", (a, k) => a.Idempotency.ExecuteOnceAsync(k, TimeSpan.FromMinutes(1), _ => ValueTask.FromResult("v")).AsTask()),
        ("semaphore.acquire", async (a, k) => { if (await a.Semaphores.AcquireAsync(k, 2, TimeSpan.FromSeconds(5)) is { } h) { await h.ReleaseAsync(); } }),
        ("semaphore.acquire-wait", async (a, k) => { if (await a.Semaphores.AcquireAsync(k, 2, new LockOptions { Wait = TimeSpan.Zero }) is { } h) { await h.ReleaseAsync(); } }),
        ("semaphore.acquire-owner", async (a, k) => { if (await a.Semaphores.AcquireAsync("owned", 2, TimeSpan.FromSeconds(5), owner: k) is { } h) { await h.ReleaseAsync(); } }),
        ("semaphore.info", (a, k) => a.Semaphores.GetInfoAsync(k).AsTask()),
        ("semaphore.force_release", (a, k) => a.Semaphores.ForceReleaseAsync(k).AsTask()),
        ("ratelimit.acquire", async (a, k) =>
        {
            using var limiter = PersistentRateLimiter.CreateTokenBucket(a, k, new System.Threading.RateLimiting.TokenBucketRateLimiterOptions
            {
                TokenLimit = 2, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            });
            using var lease = await limiter.AcquireAsync(1);
        }),
        ("ratelimit.reset", (a, k) => a.RateLimits.ResetAsync(k).AsTask()),
    ];

    public static TheoryData<string> KeyedNames => [.. s_keyed.Select(c => c.Name)];

    private static Func<SqliteAdapter, string, Task> Keyed(string name) => s_keyed.Single(c => c.Name == name).Call;

    private void AssertConsistent()
    {
        using var raw = new RawSqlite(_adapter.DataSource);
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        Assert.Equal(9, raw.Count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'go\\_goscope\\_%' ESCAPE '\\'"));
    }

    [Theory]
    [MemberData(nameof(KeyedNames))]
    public async Task ANullKey_IsArgumentNullException_AnEmptyKeyOrALoneSurrogate_IsArgumentException(string name)
    {
        var call = Keyed(name);
        if (name is "lock.acquire-owner" or "semaphore.acquire-owner")
        {
            await call(_adapter, null!); // a null owner is allowed: one is generated
        }
        else
        {
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await call(_adapter, null!));
        }

        await Assert.ThrowsAsync<ArgumentException>(async () => await call(_adapter, ""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await call(_adapter, "\ud800"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await call(_adapter, "key\udc00tail"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await call(_adapter, "reversed\udc00\ud800"));
        AssertConsistent();
    }

    public static TheoryData<string> HostileKeys =>
    [
        " ",
        "\t\r\n",
        "'; DROP TABLE go_goscope_cache; --",
        "\" OR 1=1 --",
        "%",
        "_",
        "*",
        "?",
        "[a-z]",
        "\\",
        "key\0with-nul",
        "\0",
        "cache:nested:tag",
        "🔑 ключ 鍵 \u200b \ufeff",
        "a\ud83d\ude00b", // a valid surrogate pair
        "?1 ?2 :name @p $x",
        "/*", "*/", "--",
    ];

    [Theory]
    [MemberData(nameof(HostileKeys))]
    public async Task AHostileButValidKey_WorksInEveryMethod_RoundTrips_AndLeavesTheDatabaseConsistent(string key)
    {
        foreach (var (name, call) in s_keyed)
        {
            var error = await Record.ExceptionAsync(() => call(_adapter, key));
            Assert.True(error is null, $"{name}: {error}");
        }

        // The key is stored as given and comes back as given.
        await _adapter.Cache.SetAsync(key, key);
        Assert.Equal(key, await _adapter.Cache.GetAsync<string>(key));
        Assert.Contains(key, await _adapter.Cache.KeysAsync());
        Assert.Equal([key], await _adapter.Cache.KeysAsync(key.Replace("*", "?", StringComparison.Ordinal)) is var found && found.Contains(key) ? [key] : found);
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<string>(key, key, 7, DateTimeOffset.UnixEpoch, 50, key));
        Assert.Equal(key, (await _adapter.Checkpoints.LoadLatestAsync<string>(key))!.Id);
        Assert.Equal(1, await _adapter.CircuitBreakers.RecordFailureAsync(key, 3)); // the calls above ended with a success
        var handle = await _adapter.Locks.AcquireAsync(key, TimeSpan.FromSeconds(5), owner: key);
        Assert.Equal(key, (await _adapter.Locks.GetInfoAsync(key))!.Owner);
        await handle!.ReleaseAsync();
        Assert.True(await _adapter.Cache.DeleteAsync(key));
        Assert.False(await _adapter.Cache.HasAsync(key));

        // A similar-looking key is another key (no LIKE, no trimming, no normalization).
        Assert.False(await _adapter.Cache.HasAsync(key + " "));
        AssertConsistent();
    }

    [Fact]
    public async Task HostilePatternsAndPrefixes_MatchLiterally_AndStayInTheirNamespace()
    {
        foreach (var key in new[] { "100%", "1000", "a_b", "axb", "[x]", "x" })
        {
            await _adapter.Cache.SetAsync(key, 1);
        }

        Assert.Equal(["100%"], await _adapter.Cache.KeysAsync("100%"));
        Assert.Equal(["a_b"], await _adapter.Cache.KeysAsync("a_b"));
        Assert.Equal(["[x]"], await _adapter.Cache.KeysAsync("[x]"));
        Assert.Equal(["a_b", "axb"], await _adapter.Cache.KeysAsync("a?b"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _adapter.Cache.KeysAsync("\ud800*"));

        await using var other = await SqliteAdapter.OpenAsync(_adapter.DataSource, new PersistenceAdapterOptions { KeyPrefix = "'; DROP TABLE go_goscope_cache; --%_" });
        Assert.Empty(await other.Cache.KeysAsync());
        await other.Cache.SetAsync("x", 2);
        await other.Cache.ClearAsync();
        Assert.Equal(6, (await _adapter.Cache.KeysAsync()).Count);
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await SqliteAdapter.OpenAsync(_adapter.DataSource, new PersistenceAdapterOptions { KeyPrefix = "\udc00" }));
        AssertConsistent();
    }

    public static TheoryData<string> TtlWriters => ["cache.set", "cache.add", "cache.getorset", "idempotency.set", "idempotency.execute_once"];

    private static Task WriteWithTtl(SqliteAdapter a, string writer, string key, TimeSpan? ttl) => writer switch
    {
        "cache.set" => a.Cache.SetAsync(key, "v", ttl).AsTask(),
        "cache.add" => a.Cache.AddAsync(key, "v", ttl).AsTask(),
        "cache.getorset" => a.Cache.GetOrSetAsync(key, _ => ValueTask.FromResult("v"), ttl).AsTask(),
        "idempotency.set" => a.Idempotency.SetAsync(key, "v", ttl).AsTask(),
        _ => a.Idempotency.ExecuteOnceAsync(key, ttl, _ => ValueTask.FromResult("v")).AsTask(),
    };

    [Theory]
    [MemberData(nameof(TtlWriters))]
    public async Task TtlZeroOrNegative_IsArgumentOutOfRange_AndMaxValueOrInfinite_NeverExpires(string writer)
    {
        // (-1 ms is Timeout.InfiniteTimeSpan, which means "never expires", as everywhere in .NET.)
        foreach (var bad in new[] { TimeSpan.Zero, TimeSpan.FromTicks(-1), TimeSpan.FromMilliseconds(-2), TimeSpan.MinValue })
        {
            var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WriteWithTtl(_adapter, writer, "bad", bad));
            Assert.Equal("ttl", e.ParamName);
        }

        Assert.False(await _adapter.Cache.HasAsync("bad"));
        Assert.Null(await _adapter.Idempotency.GetAsync<string>("bad"));

        foreach (var (key, ttl) in new[] { ("max", TimeSpan.MaxValue), ("infinite", Timeout.InfiniteTimeSpan), ("none", (TimeSpan?)null), ("tick", TimeSpan.FromTicks(1)) })
        {
            await WriteWithTtl(_adapter, writer, key, ttl);
            // One tick rounds up to one millisecond, so that entry may already be gone; the others never expire.
            var stored = key == "tick" || (writer.StartsWith("cache", StringComparison.Ordinal)
                ? await _adapter.Cache.HasAsync(key)
                : await _adapter.Idempotency.GetAsync<string>(key) is { ExpiresAt: null });
            Assert.True(stored, $"{writer} with TTL {ttl}");
        }

        AssertConsistent();
    }

    [Fact]
    public async Task LockTtlsAndWaits_OutsideTheirRange_AreArgumentOutOfRange()
    {
        foreach (var bad in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-1), TimeSpan.MaxValue, Timeout.InfiniteTimeSpan })
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _adapter.Locks.AcquireAsync("k", bad));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _adapter.Locks.ExtendAsync("k", bad, "owner"));
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _adapter.Locks.AcquireAsync("k", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(-2)));
        var handle = await _adapter.Locks.AcquireAsync("k", TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await handle!.ExtendAsync(TimeSpan.Zero));
        Assert.True(await handle!.IsValidAsync());
        Assert.Null(await _adapter.Locks.GetInfoAsync("absent"));
        AssertConsistent();
    }

    [Fact]
    public async Task ProgressKeepCountMaxFailuresAndCircuitState_OutsideTheirRange_AreArgumentOutOfRange()
    {
        foreach (var progress in new[] { -1, 101, int.MinValue, int.MaxValue })
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
                await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("c", "t", 1, DateTimeOffset.UnixEpoch, progress, 1)));
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("c", "t", 1, DateTimeOffset.UnixEpoch, 50, 1, TimeSpan.FromSeconds(-1))));
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("c0", "t", 1, DateTimeOffset.UnixEpoch, 0, 1));
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<int>("c100", "t", 2, DateTimeOffset.UnixEpoch, 100, 1));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _adapter.Checkpoints.SaveAsync<int>(null!));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _adapter.Checkpoints.CleanupAsync("t", -1));
        Assert.Equal(2, (await _adapter.Checkpoints.ListAsync("t")).Count);
        await _adapter.Checkpoints.CleanupAsync("t", 0);
        Assert.Empty(await _adapter.Checkpoints.ListAsync("t"));

        foreach (var max in new[] { 0, -1, int.MinValue })
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _adapter.CircuitBreakers.RecordFailureAsync("c", max));
        }

        Assert.Null(await _adapter.CircuitBreakers.GetStateAsync("c"));
        Assert.Equal(1, await _adapter.CircuitBreakers.RecordFailureAsync("c", int.MaxValue));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await _adapter.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState((CircuitState)42, 0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await _adapter.CircuitBreakers.SetStateAsync("c", new CircuitBreakerPersistedState(CircuitState.Open, -1)));
        Assert.ThrowsAny<ArgumentException>(() => new CircuitBreaker(_adapter.CircuitBreakers, "c", new CircuitBreakerOptions { FailureThreshold = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => new CircuitBreaker(_adapter.CircuitBreakers, "c", new CircuitBreakerOptions { ResetTimeout = TimeSpan.Zero }));
        AssertConsistent();
    }

    [Fact]
    public async Task AOneMegabyteKey_WorksEverywhere()
    {
        var key = new string('k', 1024 * 1024 - 1) + "\u00e9";
        foreach (var (name, call) in s_keyed)
        {
            var error = await Record.ExceptionAsync(() => call(_adapter, key));
            Assert.True(error is null, $"{name}: {error}");
        }

        await _adapter.Cache.SetAsync(key, 1);
        Assert.Equal(1, await _adapter.Cache.GetAsync<int>(key));
        Assert.Equal(key, Assert.Single(await _adapter.Cache.KeysAsync("k*")));
        Assert.False(await _adapter.Cache.HasAsync(key[..^1]));
        AssertConsistent();
    }

    [Fact]
    public async Task AFiftyMegabytePayload_RoundTripsThroughEveryProvider()
    {
        var payload = string.Create(50 * 1024 * 1024, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + (i % 26));
            }
        });

        await _adapter.Cache.SetAsync("big", payload);
        Assert.Equal(payload, await _adapter.Cache.GetAsync<string>("big"));
        await _adapter.Idempotency.SetAsync("big", payload);
        Assert.Equal(payload, (await _adapter.Idempotency.GetAsync<string>("big"))!.Value);
        await _adapter.Checkpoints.SaveAsync(new Checkpoint<string>("big", "t", 1, DateTimeOffset.UnixEpoch, 1, payload));
        Assert.Equal(payload, (await _adapter.Checkpoints.LoadLatestAsync<string>("t"))!.Data);
        await _adapter.Cache.DeleteAsync("big");
        await _adapter.Idempotency.DeleteAsync("big");
        await _adapter.Checkpoints.DeleteAllAsync("t");
        AssertConsistent();
    }

    [Fact]
    public async Task ALoneSurrogateInAStringPayload_IsStoredAsUFFFD_ExactlyAsSystemTextJsonWritesIt()
    {
        // Decided and documented: keys must be valid UTF-16 (a lone surrogate would merge two keys), but payloads are
        // JSON written the way System.Text.Json writes it, and its writer replaces each lone surrogate with U+FFFD.
        foreach (var bad in new[] { "\ud800", "text\udc00", "\udc00\ud800", "ok \ud83d\ude00 \ud800" })
        {
            var expected = ReplaceLoneSurrogates(bad);
            await _adapter.Cache.SetAsync("k", bad);
            Assert.Equal(expected, await _adapter.Cache.GetAsync<string>("k"));
            await _adapter.Idempotency.SetAsync("k", bad);
            Assert.Equal(expected, (await _adapter.Idempotency.GetAsync<string>("k"))!.Value);
            await _adapter.Checkpoints.SaveAsync(new Checkpoint<string>("c", "t", 1, DateTimeOffset.UnixEpoch, 1, bad));
            Assert.Equal(expected, (await _adapter.Checkpoints.LoadAsync<string>("c"))!.Data);
            // ExecuteOnce hands the first caller the action's own value and every later caller the stored one.
            Assert.Equal(bad, await _adapter.Idempotency.ExecuteOnceAsync("once" + bad.Length, null, _ => ValueTask.FromResult(bad)));
            Assert.Equal(expected, await _adapter.Idempotency.ExecuteOnceAsync("once" + bad.Length, null, _ => ValueTask.FromResult("not run")));
            await _adapter.Cache.SetAsync("line", new Payloads.OrderLine(bad, 1, 1m), null, Payloads.CamelPayloads.Default.OrderLine);
            Assert.Equal(expected, (await _adapter.Cache.GetAsync("line", Payloads.CamelPayloads.Default.OrderLine))!.Sku);

            // The stored text is byte for byte what System.Text.Json's writer produces.
            using var stream = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default }))
            {
                writer.WriteStringValue(bad);
            }

            using var raw = new RawSqlite(_adapter.DataSource);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(stream.ToArray()), raw.Scalar("SELECT value FROM go_goscope_cache WHERE key = 'cache:k'"));
        }

        AssertConsistent();
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\ufffd';
            }
        }

        return new string(chars);
    }
}
