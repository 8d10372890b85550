#pragma warning disable NAP0011 // Unregistered must fail at run time

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>SetManyAsync: one transaction, all or none, the same on every backend.</summary>
public abstract partial class CacheConformance<TBackend>
{
    private static IEnumerable<KeyValuePair<string, int>> Entries(string prefix, int count, int value) =>
        Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"{prefix}{i}", value + i));

    [Fact]
    public async Task SetMany_StoresEveryEntry_ReplacingOldOnes_WithOneTtl()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k0", -1, new CacheEntryOptions { Tags = ["old"], SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct);
        await p.Cache.SetManyAsync(Entries("k", 300, 1000), TimeSpan.FromMilliseconds(100), Ct);

        Assert.Equal(300, (await p.Cache.KeysAsync(cancellationToken: Ct)).Count);
        for (var i = 0; i < 300; i += 37)
        {
            Assert.Equal(1000 + i, await p.Cache.GetAsync<int>($"k{i}", Ct));
        }

        // The replaced entry lost its tags and its sliding window with its value, as SetAsync with a TTL does.
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("old", Ct));
        Advance(99);
        Assert.True(await p.Cache.HasAsync("k299", Ct));
        Advance(1);
        Assert.False(await p.Cache.HasAsync("k0", Ct));
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task SetMany_WithoutTtl_NeverExpires_AndADuplicateKeyEndsWithItsLastValue()
    {
        var p = await OpenAsync();
        await p.Cache.SetManyAsync([KeyValuePair.Create("a", "1"), KeyValuePair.Create("b", "2"), KeyValuePair.Create("a", "3")], cancellationToken: Ct);
        Advance(10_000_000);
        Assert.Equal("3", await p.Cache.GetAsync<string>("a", Ct));
        Assert.Equal("2", await p.Cache.GetAsync<string>("b", Ct));
        Assert.Equal(["a", "b"], await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task SetMany_WithOptions_TagsSlidingAndFailSafe_AsSetAsyncStoresThem()
    {
        var p = await OpenAsync();
        await p.Cache.SetManyAsync(Entries("t", 5, 0), new CacheEntryOptions { Tags = ["batch", "t"] }, Ct);
        await p.Cache.SetManyAsync(Entries("s", 3, 0), new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(100) }, Ct);
        await p.Cache.SetManyAsync(Entries("f", 2, 7), new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(50), FailSafeMaxDuration = TimeSpan.FromMinutes(1) }, Ct);

        Assert.Equal([new CacheTagSummary("batch", new RowCounts(5, 0)), new CacheTagSummary("t", new RowCounts(5, 0))], await p.Admin.ListCacheTagsAsync(Ct));
        Advance(60);
        Assert.Equal(1, await p.Cache.GetAsync<int>("s1", Ct)); // renews s1 alone
        Assert.False(await p.Cache.HasAsync("f0", Ct));
        var stale = await p.Cache.GetOrSetResultAsync<int>("f1", _ => throw new TimeoutException("down"), new GetOrSetOptions(), cancellationToken: Ct);
        Assert.True(stale.IsStale);
        Assert.Equal(8, stale.Value);
        Advance(60);
        Assert.True(await p.Cache.HasAsync("s1", Ct));
        Assert.False(await p.Cache.HasAsync("s0", Ct));
        Assert.Equal(5, await p.Cache.RemoveByTagAsync("batch", Ct));
    }

    [Fact]
    public async Task SetMany_AValueThatCannotBeStored_StoresNoneOfTheBatch_AndLeavesOldValues()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("x1", 0.5, cancellationToken: Ct);

        // NaN cannot be written as JSON: the batch fails at its third entry, after two were bound.
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await p.Cache.SetManyAsync([KeyValuePair.Create("x0", 1.0), KeyValuePair.Create("x1", 2.0), KeyValuePair.Create("x2", double.NaN), KeyValuePair.Create("x3", 4.0)], cancellationToken: Ct));
        Assert.Contains("x2", e.Message, StringComparison.Ordinal);
        Assert.Equal(0.5, await p.Cache.GetAsync<double>("x1", Ct));
        Assert.Equal(["x1"], await p.Cache.KeysAsync(cancellationToken: Ct));

        // The adapter goes on writing.
        await p.Cache.SetManyAsync([KeyValuePair.Create("x2", 3.0)], cancellationToken: Ct);
        Assert.Equal(3.0, await p.Cache.GetAsync<double>("x2", Ct));
    }

    [Fact]
    public async Task SetMany_SweepsAsManyExpiredRowsAsItsWritesWouldHave_SoBatchesKeepExpiredRowsBounded()
    {
        var p = await OpenAsync();
        await p.Cache.SetManyAsync(Entries("old", 100, 0), TimeSpan.FromMilliseconds(10), Ct);
        Advance(20);

        // 100 more writes pass three 32-write marks: up to 192 expired rows go, so all 100 (one sweep of 64 would leave 36;
        // a batch counted as one write would leave all of them until the 32nd batch).
        await p.Cache.SetManyAsync(Entries("new", 100, 0), TimeSpan.FromMinutes(10), Ct);
        Assert.Equal(new RowCounts(100, 0), (await p.Admin.GetStatsAsync(Ct)).Cache);
    }

    [Fact]
    public async Task SetMany_FailingAmongConcurrentWriters_StoresNothingOfItself_AndEveryOtherWriteLands()
    {
        var p = await OpenAsync();
        for (var round = 0; round < 5; round++)
        {
            // Writers queued together (a group commit on SQLite), one batch among them failing at its last entry.
            var writers = Enumerable.Range(0, 24).Select(i => Task.Run(async () => await p.Cache.SetAsync($"w{round}-{i}", (double)i, cancellationToken: Ct))).ToList();
            var failing = Task.Run(async () => await p.Cache.SetManyAsync(
                Enumerable.Range(0, 50).Select(i => KeyValuePair.Create($"b{round}-{i}", i == 49 ? double.NaN : i)), cancellationToken: Ct));
            var good = Task.Run(async () => await p.Cache.SetManyAsync(Enumerable.Range(0, 50).Select(i => KeyValuePair.Create($"g{round}-{i}", (double)i)), cancellationToken: Ct));
            await Assert.ThrowsAnyAsync<ArgumentException>(() => failing);
            await Task.WhenAll(writers.Append(good));
            Assert.Empty(await p.Cache.KeysAsync($"b{round}-*", Ct));
            Assert.Equal(50, (await p.Cache.KeysAsync($"g{round}-*", Ct)).Count);
            Assert.Equal(24, (await p.Cache.KeysAsync($"w{round}-*", Ct)).Count);
        }
    }

    [Fact]
    public async Task SetMany_BadArguments_AreTypedErrors_AndStoreNothing()
    {
        var p = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Cache.SetManyAsync<int>(null!, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await p.Cache.SetManyAsync(Entries("n", 1, 0), (CacheEntryOptions)null!, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.SetManyAsync([KeyValuePair.Create("ok", 1), KeyValuePair.Create("", 2)], cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await p.Cache.SetManyAsync([KeyValuePair.Create("ok", 1), KeyValuePair.Create("\ud800", 2)], cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Cache.SetManyAsync(Entries("z", 2, 0), TimeSpan.Zero, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await p.Cache.SetManyAsync(Entries("z", 2, 0), new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(-1) }, Ct));
        var unregistered = await Assert.ThrowsAsync<PayloadTypeNotRegisteredException>(async () => await p.Cache.SetManyAsync([KeyValuePair.Create("u", new Unregistered(1))], cancellationToken: Ct));
        Assert.Equal(typeof(Unregistered), unregistered.PayloadType);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Cache.SetManyAsync(Entries("c", 3, 0), cancellationToken: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Cache.SetManyAsync(Entries("c", 0, 0), cancellationToken: cancelled.Token));

        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
        await p.Cache.SetManyAsync(Entries("e", 0, 0), cancellationToken: Ct); // empty: nothing to do
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task SetMany_EnumeratesTheCallersSequenceOnce_OnTheCallersThread_BeforeStoring()
    {
        var p = await OpenAsync();
        var threads = new List<int>();
        var enumerations = 0;
        IEnumerable<KeyValuePair<string, int>> Lazy()
        {
            enumerations++;
            for (var i = 0; i < 50; i++)
            {
                threads.Add(Environment.CurrentManagedThreadId);
                yield return KeyValuePair.Create($"l{i}", i);
            }
        }

        var caller = Environment.CurrentManagedThreadId;
        var task = p.Cache.SetManyAsync(Lazy(), cancellationToken: Ct);
        Assert.Equal(1, enumerations);
        Assert.Equal(50, threads.Count);
        Assert.All(threads, t => Assert.Equal(caller, t));
        await task;
        Assert.Equal(49, await p.Cache.GetAsync<int>("l49", Ct));
    }

    [Fact]
    public async Task SetMany_OnAProviderWithoutTheBatchKit_IsNotSupported_NotStoredPiecemeal()
    {
        var p = await OpenAsync();
        var plain = new PlainCache(p.Cache);
        var e = await Assert.ThrowsAsync<NotSupportedException>(async () => await plain.SetManyAsync(Entries("p", 2, 0), cancellationToken: Ct));
        Assert.Contains("SetAsync for each entry", e.Message, StringComparison.Ordinal);
        Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    /// <summary>A custom provider (a decorator written without the backend kit).</summary>
    private sealed class PlainCache(ICacheProvider inner) : ICacheProvider
    {
        public PayloadContext? Payloads => inner.Payloads;
        public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) => inner.GetAsync<T>(key, cancellationToken);
        public ValueTask<T?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => inner.GetAsync(key, typeInfo, cancellationToken);
        public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) => inner.TryGetAsync<T>(key, cancellationToken);
        public ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => inner.TryGetAsync(key, typeInfo, cancellationToken);
        public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, cancellationToken);
        public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, typeInfo, cancellationToken);
        public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) => inner.AddAsync(key, value, ttl, cancellationToken);
        public ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => inner.AddAsync(key, value, ttl, typeInfo, cancellationToken);
        public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
        public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, options, cancellationToken);
        public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, options, typeInfo, cancellationToken);
        public ValueTask<bool> RefreshAsync(string key, CancellationToken cancellationToken = default) => inner.RefreshAsync(key, cancellationToken);
        public ValueTask<bool> HasAsync(string key, CancellationToken cancellationToken = default) => inner.HasAsync(key, cancellationToken);
        public ValueTask<int> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) => inner.RemoveByTagAsync(tag, cancellationToken);
        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);
        public ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, CancellationToken cancellationToken = default) => inner.KeysAsync(pattern, cancellationToken);
    }
}
