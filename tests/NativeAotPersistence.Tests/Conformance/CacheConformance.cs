// Point resolves through the hand-written TestPayloads context and Unregistered must fail at run time: the
// generator's compile-time check (NAP0011) cannot see either, so it is off here.
#pragma warning disable NAP0011

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>The cache contract (TTLs, keys, get-or-set), the same on every backend.</summary>
public abstract partial class CacheConformance<TBackend> : ConformanceTests<TBackend>
    where TBackend : Backend, new()
{
    [Fact]
    public async Task Get_Miss_ReturnsDefault()
    {
        var p = await OpenAsync();
        Assert.Null(await p.Cache.GetAsync<string>("missing", Ct));
        Assert.Equal(0, await p.Cache.GetAsync<int>("missing", Ct));
        Assert.False((await p.Cache.TryGetAsync<int>("missing", Ct)).Found);
        Assert.False(await p.Cache.HasAsync("missing", Ct));
    }

    [Fact]
    public async Task SetGet_RoundTripsBuiltInTypes()
    {
        var p = await OpenAsync();
        var guid = Guid.NewGuid();
        var when = new DateTimeOffset(2025, 5, 6, 7, 8, 9, 123, TimeSpan.FromHours(2));
        await p.Cache.SetAsync("s", "hello ☃ 日本", cancellationToken: Ct);
        await p.Cache.SetAsync("i", -42, cancellationToken: Ct);
        await p.Cache.SetAsync("l", long.MaxValue, cancellationToken: Ct);
        await p.Cache.SetAsync("b", new byte[] { 0, 1, 255 }, cancellationToken: Ct);
        await p.Cache.SetAsync("g", guid, cancellationToken: Ct);
        await p.Cache.SetAsync("d", when, cancellationToken: Ct);
        await p.Cache.SetAsync("n", (double?)1.5, cancellationToken: Ct);
        await p.Cache.SetAsync("t", true, cancellationToken: Ct);

        Assert.Equal("hello ☃ 日本", await p.Cache.GetAsync<string>("s", Ct));
        Assert.Equal(-42, await p.Cache.GetAsync<int>("i", Ct));
        Assert.Equal(long.MaxValue, await p.Cache.GetAsync<long>("l", Ct));
        Assert.Equal(new byte[] { 0, 1, 255 }, await p.Cache.GetAsync<byte[]>("b", Ct));
        Assert.Equal(guid, await p.Cache.GetAsync<Guid>("g", Ct));
        Assert.Equal(when, await p.Cache.GetAsync<DateTimeOffset>("d", Ct));
        Assert.Equal(1.5, await p.Cache.GetAsync<double?>("n", Ct));
        Assert.True(await p.Cache.GetAsync<bool>("t", Ct));
    }

    [Fact]
    public async Task ExplicitTypeInfo_And_Context_RoundTrip()
    {
        var p = await OpenAsync(payloads: TestPayloads.Default);
        await p.Cache.SetAsync("p1", new Point(1, 2), null, PointInfo.Instance, Ct);
        await p.Cache.SetAsync("p2", new Point(3, 4), cancellationToken: Ct);
        Assert.Equal(new Point(1, 2), await p.Cache.GetAsync<Point>("p1", Ct));
        Assert.Equal(new Point(3, 4), await p.Cache.GetAsync("p2", PointInfo.Instance, Ct));
        Assert.True(await p.Cache.AddAsync("p3", new Point(5, 6), TimeSpan.FromSeconds(1), PointInfo.Instance, Ct));
        Assert.Equal(new CacheLookup<Point>(true, new Point(5, 6)), await p.Cache.TryGetAsync("p3", PointInfo.Instance, Ct));
    }

    [Fact]
    public async Task UnregisteredType_Throws_PayloadTypeNotRegistered()
    {
        var p = await OpenAsync();
        var set = await Assert.ThrowsAsync<PayloadTypeNotRegisteredException>(async () => await p.Cache.SetAsync("k", new Unregistered(1), cancellationToken: Ct));
        Assert.Equal(typeof(Unregistered), set.PayloadType);
        await Assert.ThrowsAsync<PayloadTypeNotRegisteredException>(async () => await p.Cache.GetAsync<Unregistered>("k", Ct));
        Assert.False(await p.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task TryGet_TellsStoredNullAndZeroFromMiss()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync<string?>("null", null, cancellationToken: Ct);
        await p.Cache.SetAsync("zero", 0, cancellationToken: Ct);
        Assert.Equal(new CacheLookup<string?>(true, null), await p.Cache.TryGetAsync<string?>("null", Ct));
        Assert.Equal(new CacheLookup<int>(true, 0), await p.Cache.TryGetAsync<int>("zero", Ct));
        Assert.Equal(new CacheLookup<int>(false, 0), await p.Cache.TryGetAsync<int>("nothing", Ct));
        Assert.True(await p.Cache.HasAsync("null", Ct));
    }

    [Fact]
    public async Task StoredValue_IsACopy()
    {
        var p = await OpenAsync();
        var bytes = new byte[] { 1, 2, 3 };
        await p.Cache.SetAsync("b", bytes, cancellationToken: Ct);
        bytes[0] = 99;
        var read = await p.Cache.GetAsync<byte[]>("b", Ct);
        Assert.Equal(new byte[] { 1, 2, 3 }, read);
        read![1] = 99;
        Assert.Equal(new byte[] { 1, 2, 3 }, await p.Cache.GetAsync<byte[]>("b", Ct));
    }

    [Fact]
    public async Task Set_Overwrites_ValueAndTtl()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", "one", TimeSpan.FromMilliseconds(10), Ct);
        await p.Cache.SetAsync("k", "two", cancellationToken: Ct);
        Advance(1000);
        Assert.Equal("two", await p.Cache.GetAsync<string>("k", Ct));
        await p.Cache.SetAsync("k", "three", TimeSpan.FromMilliseconds(10), Ct);
        Advance(10);
        Assert.Null(await p.Cache.GetAsync<string>("k", Ct));
    }

    [Fact]
    public async Task Ttl_HasMillisecondPrecision()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", "v", TimeSpan.FromMilliseconds(50), Ct);
        Assert.Equal("v", await p.Cache.GetAsync<string>("k", Ct));
        Advance(49);
        Assert.True(await p.Cache.HasAsync("k", Ct));
        Assert.Equal(["k"], await p.Cache.KeysAsync(cancellationToken: Ct));
        Advance(1);
        Assert.Null(await p.Cache.GetAsync<string>("k", Ct));
        Assert.False(await p.Cache.HasAsync("k", Ct));
        Assert.False((await p.Cache.TryGetAsync<string>("k", Ct)).Found);
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Ttl_TruncatesTheClockToMilliseconds()
    {
        // Now is x.7 ms: the entry lives until the clock's millisecond reaches x + 50.
        Time.Advance(TimeSpan.FromTicks(7_000));
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, TimeSpan.FromMilliseconds(50), Ct);
        Time.Advance(TimeSpan.FromTicks((49 * TimeSpan.TicksPerMillisecond) + 2_999));
        Assert.True(await p.Cache.HasAsync("k", Ct));
        Time.Advance(TimeSpan.FromTicks(1));
        Assert.False(await p.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task Ttl_BelowOneMillisecond_CountsAsOne()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, TimeSpan.FromTicks(1), Ct);
        Assert.True(await p.Cache.HasAsync("k", Ct));
        Advance(1);
        Assert.False(await p.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task Ttl_InfiniteOrHuge_NeverExpires()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("infinite", 1, Timeout.InfiniteTimeSpan, Ct);
        await p.Cache.SetAsync("null", 2, null, Ct);
        await p.Cache.SetAsync("max", 3, TimeSpan.MaxValue, Ct);
        Time.Advance(TimeSpan.FromDays(365 * 200));
        Assert.Equal(1, await p.Cache.GetAsync<int>("infinite", Ct));
        Assert.Equal(2, await p.Cache.GetAsync<int>("null", Ct));
        Assert.Equal(3, await p.Cache.GetAsync<int>("max", Ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-2)]
    [InlineData(-10_000)]
    public async Task Ttl_ZeroOrNegative_Throws(int milliseconds)
    {
        var p = await OpenAsync();
        var ttl = milliseconds == -1 ? TimeSpan.FromTicks(-1) : TimeSpan.FromMilliseconds(milliseconds);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Cache.SetAsync("k", 1, ttl, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Cache.AddAsync("k", 1, ttl, Ct));
        Assert.False(await p.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task Add_StoresOnlyWithoutLiveEntry()
    {
        var p = await OpenAsync();
        Assert.True(await p.Cache.AddAsync("k", "first", TimeSpan.FromMilliseconds(100), Ct));
        Assert.False(await p.Cache.AddAsync("k", "second", cancellationToken: Ct));
        Assert.Equal("first", await p.Cache.GetAsync<string>("k", Ct));
        Advance(99);
        Assert.False(await p.Cache.AddAsync("k", "third", cancellationToken: Ct));
        Advance(1);
        Assert.True(await p.Cache.AddAsync("k", "fourth", cancellationToken: Ct));
        Assert.Equal("fourth", await p.Cache.GetAsync<string>("k", Ct));
        Advance(1_000_000);
        Assert.Equal("fourth", await p.Cache.GetAsync<string>("k", Ct));
    }

    [Fact]
    public async Task Delete_ReturnsWhetherALiveEntryWent()
    {
        var p = await OpenAsync();
        Assert.False(await p.Cache.DeleteAsync("k", Ct));
        await p.Cache.SetAsync("k", 1, cancellationToken: Ct);
        Assert.True(await p.Cache.DeleteAsync("k", Ct));
        Assert.False(await p.Cache.DeleteAsync("k", Ct));
        Assert.False(await p.Cache.HasAsync("k", Ct));

        await p.Cache.SetAsync("e", 1, TimeSpan.FromMilliseconds(5), Ct);
        Advance(5);
        var before = await Backend.CountRowsAsync(p, "go_goscope_cache");
        Assert.False(await p.Cache.DeleteAsync("e", Ct));
        Assert.Equal(before - 1, await Backend.CountRowsAsync(p, "go_goscope_cache"));
    }

    [Fact]
    public async Task Clear_RemovesEveryKeyOfThisAdapter()
    {
        var p = await OpenAsync("app:");
        await p.Cache.SetAsync("a", 1, cancellationToken: Ct);
        await p.Cache.SetAsync("b", 2, TimeSpan.FromMinutes(1), Ct);
        await p.Idempotency.SetAsync("a", 3, cancellationToken: Ct);
        await p.Cache.ClearAsync(Ct);
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
        Assert.False(await p.Cache.HasAsync("a", Ct));
        Assert.NotNull(await p.Idempotency.GetAsync<int>("a", Ct));
    }

    [Fact]
    public async Task Keys_AreSortedOrdinally()
    {
        var p = await OpenAsync();
        string[] keys = ["b", "a", "B", "é", "Z", "aa", "a a", " ", "\uE000", "😀", "日本", "~", "10", "9"];
        foreach (var key in keys)
        {
            await p.Cache.SetAsync(key, 1, cancellationToken: Ct);
        }

        var expected = keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, await p.Cache.KeysAsync(cancellationToken: Ct));
        Assert.Equal(expected, await p.Cache.KeysAsync("*", Ct));
    }

    [Fact]
    public async Task Keys_GlobStarAndQuestionMark()
    {
        var p = await OpenAsync();
        string[] keys = ["user:1", "user:12", "user:2", "users", "order:1", "a😀b", "ab", "axb", "abc"];
        foreach (var key in keys)
        {
            await p.Cache.SetAsync(key, 1, cancellationToken: Ct);
        }

        Assert.Equal(["user:1", "user:12", "user:2"], await p.Cache.KeysAsync("user:*", Ct));
        Assert.Equal(["user:1", "user:2"], await p.Cache.KeysAsync("user:?", Ct));
        Assert.Equal(["order:1", "user:1"], await p.Cache.KeysAsync("*:1", Ct));
        Assert.Equal(["axb", "a😀b"], await p.Cache.KeysAsync("a?b", Ct));
        Assert.Equal(["ab", "abc", "axb", "a😀b"], await p.Cache.KeysAsync("a*b*", Ct));
        Assert.Equal(["user:12"], await p.Cache.KeysAsync("u*1?", Ct));
        Assert.Equal(["user:12", "user:2"], await p.Cache.KeysAsync("*2", Ct));
        Assert.Equal(["users"], await p.Cache.KeysAsync("users", Ct));
        Assert.Empty(await p.Cache.KeysAsync("user", Ct));
        Assert.Empty(await p.Cache.KeysAsync("", Ct));
    }

    [Fact]
    public async Task Keys_NoLikeWildcardLeaks()
    {
        var p = await OpenAsync();
        string[] keys = ["a%b", "axb", "a_b", "aXb", "A%B", "a\\b", "[ab]", "a", "b", "%", "_"];
        foreach (var key in keys)
        {
            await p.Cache.SetAsync(key, 1, cancellationToken: Ct);
        }

        Assert.Equal(["a%b"], await p.Cache.KeysAsync("a%b", Ct));
        Assert.Equal(["a_b"], await p.Cache.KeysAsync("a_b", Ct));
        Assert.Equal(["%"], await p.Cache.KeysAsync("%", Ct));
        Assert.Equal(["_"], await p.Cache.KeysAsync("_", Ct));
        Assert.Equal(["[ab]"], await p.Cache.KeysAsync("[ab]", Ct));
        Assert.Equal(["a\\b"], await p.Cache.KeysAsync("a\\b", Ct));
        Assert.Equal(["A%B"], await p.Cache.KeysAsync("A*", Ct));
        Assert.Equal(["a%b", "aXb", "a\\b", "a_b", "axb"], await p.Cache.KeysAsync("a?b", Ct));
        Assert.Equal(["a%b"], await p.Cache.KeysAsync("a%*", Ct));
    }

    [Fact]
    public async Task Keys_ExcludeExpired()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("short", 1, TimeSpan.FromMilliseconds(10), Ct);
        await p.Cache.SetAsync("long", 1, TimeSpan.FromMilliseconds(20), Ct);
        await p.Cache.SetAsync("never", 1, cancellationToken: Ct);
        Advance(10);
        Assert.Equal(["long", "never"], await p.Cache.KeysAsync(cancellationToken: Ct));
        Advance(10);
        Assert.Equal(["never"], await p.Cache.KeysAsync("*", Ct));
    }

    [Fact]
    public async Task CorruptRow_IsPayloadFormatException_NotAMiss()
    {
        var p = await OpenAsync("pre:");
        await Backend.PutRawCacheAsync(p, "bad", "{not json");
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<string>("bad", Ct));
        Assert.Equal("bad", e.Key);
        Assert.Equal(typeof(string), e.PayloadType);
        Assert.Equal(PersistenceErrorKind.PayloadFormat, e.Kind);
        Assert.Contains("bad", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.TryGetAsync<string>("bad", Ct));
        Assert.True(await p.Cache.HasAsync("bad", Ct));
        Assert.Equal(["bad"], await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task WrongType_IsPayloadFormatException()
    {
        var p = await OpenAsync(payloads: TestPayloads.Default);
        await p.Cache.SetAsync("s", "hello", cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("s", Ct));
        Assert.Equal("s", e.Key);
        Assert.Equal(typeof(int), e.PayloadType);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<Point>("s", Ct));
        await p.Cache.SetAsync("big", long.MaxValue, cancellationToken: Ct);
        Assert.Equal(typeof(int), (await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("big", Ct))).PayloadType);
        await p.Cache.SetAsync("neg", -1, cancellationToken: Ct);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<uint>("neg", Ct));
        await p.Cache.SetAsync<string?>("null", null, cancellationToken: Ct);
        Assert.Equal(typeof(int), (await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<int>("null", Ct))).PayloadType);
        Assert.Null(await p.Cache.GetAsync<int?>("null", Ct));
        await Backend.PutRawCacheAsync(p, "raw", "\"not a guid\"");
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await p.Cache.GetAsync<Guid>("raw", Ct));
    }

    [Fact]
    public async Task InvalidKeys_Throw_ArgumentException()
    {
        var p = await OpenAsync();
        string?[] bad = [null, "", "a\uD800", "\uDC00b", "\uD83D"];
        foreach (var key in bad)
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.GetAsync<int>(key!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.TryGetAsync<int>(key!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.SetAsync(key!, 1, cancellationToken: Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.AddAsync(key!, 1, cancellationToken: Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.DeleteAsync(key!, Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await p.Cache.HasAsync(key!, Ct));
        }

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Cache.GetAsync<int>(null!, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.KeysAsync("a\uD800", Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Cache.GetAsync("k", (PayloadTypeInfo<int>)null!, Ct));
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task WhitespaceAndSurrogatePairKeys_AreValid()
    {
        var p = await OpenAsync();
        foreach (var key in new[] { " ", "\t", "  \n", "😀", "a😀" })
        {
            await p.Cache.SetAsync(key, key, cancellationToken: Ct);
            Assert.Equal(key, await p.Cache.GetAsync<string>(key, Ct));
        }

        Assert.Equal(5, (await p.Cache.KeysAsync(cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task Cancelled_Token_Cancels()
    {
        var p = await OpenAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Cache.SetAsync("k", 1, cancellationToken: cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Cache.GetAsync<int>("k", cts.Token));
        Assert.False(await p.Cache.HasAsync("k", Ct));
    }

    [Fact]
    public async Task ExpiredRows_AreReclaimed()
    {
        var p = await OpenAsync();
        var count = Backend switch
        {
            InMemoryBackend => 1_000_000,
            SqliteMemoryBackend => 300_000,
            SqliteFileBackend => 100_000,
            _ => 50_000, // a rollback journal costs a journal write per commit
        };
        for (var i = 0; i < count; i++)
        {
            await p.Cache.SetAsync("k" + i, i, TimeSpan.FromMilliseconds(5), Ct);
            Advance(1);
        }

        // Every 32nd write removes up to 64 expired rows: the table stays near the live window, never near `count`.
        var rows = await Backend.CountRowsAsync(p, "go_goscope_cache");
        Assert.InRange(rows, 1, 200);
        if (Backend is SqliteFileBackend file)
        {
            // ... and so does the file: a few pages, not 100,000 rows' worth.
            Assert.InRange(new FileInfo(file.Path).Length, 1, 256 * 1024);
        }

        var live = (await p.Cache.KeysAsync(cancellationToken: Ct)).Count;
        Assert.Equal(4, live);
        var pruned = await p.PruneAsync(Ct);
        Assert.Equal(rows - live, pruned.Cache);
        Assert.Equal(live, await Backend.CountRowsAsync(p, "go_goscope_cache"));
    }

    [Fact]
    public async Task ConcurrentWriters_AreSafe()
    {
        var p = await OpenAsync();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await p.Cache.SetAsync($"t{t}:{i}", i, TimeSpan.FromMinutes(1), Ct);
                Assert.Equal(i, await p.Cache.GetAsync<int>($"t{t}:{i}", Ct));
                if (i % 2 == 0)
                {
                    Assert.True(await p.Cache.DeleteAsync($"t{t}:{i}", Ct));
                }
            }
        }, Ct)));
        Assert.Equal(800, (await p.Cache.KeysAsync(cancellationToken: Ct)).Count);
    }
}
