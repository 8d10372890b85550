namespace NativeAotPersistence.Tests.Conformance;

/// <summary>Cache tags (<see cref="CacheEntryOptions.Tags"/>, <see cref="ICacheProvider.RemoveByTagAsync"/>), the same on every backend.</summary>
public abstract partial class CacheConformance<TBackend>
{
    private static CacheEntryOptions Tagged(params string[] tags) => new() { Tags = tags };

    [Fact]
    public async Task RemoveByTag_DeletesEveryEntryWithTheTag_AndNoOther()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("a", 1, Tagged("tenant:7", "catalog"), Ct);
        await p.Cache.SetAsync("b", 2, Tagged("catalog"), Ct);
        await p.Cache.SetAsync("c", 3, Tagged("tenant:7"), Ct);
        await p.Cache.SetAsync("d", 4, cancellationToken: Ct);
        await p.Cache.SetAsync("e", 5, Tagged("catalog2", "Catalog", "catal"), Ct);

        Assert.Equal(2, await p.Cache.RemoveByTagAsync("catalog", Ct));
        Assert.Equal(["c", "d", "e"], await p.Cache.KeysAsync(cancellationToken: Ct));

        // The other tags of a deleted entry go with it: tenant:7 now holds c alone.
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("tenant:7", Ct));
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("tenant:7", Ct));
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("nobody", Ct));
        Assert.Equal(["d", "e"], await p.Cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task StoringAKeyAgain_ReplacesItsTags_AndWithoutOptionsItHasNone()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, Tagged("old"), Ct);
        await p.Cache.SetAsync("k", 2, Tagged("new"), Ct);
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("old", Ct));
        Assert.Equal(2, await p.Cache.GetAsync<int>("k", Ct));

        await p.Cache.SetAsync("k", 3, TimeSpan.FromMinutes(1), Ct);
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("new", Ct));
        Assert.Equal(3, await p.Cache.GetAsync<int>("k", Ct));

        // A deleted (or cleared) tagged key stored again without tags is not deleted by its old tag.
        await p.Cache.SetAsync("k", 4, Tagged("gone"), Ct);
        Assert.True(await p.Cache.DeleteAsync("k", Ct));
        await p.Cache.SetAsync("k", 5, cancellationToken: Ct);
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("gone", Ct));
        Assert.Equal(5, await p.Cache.GetAsync<int>("k", Ct));
        await p.Cache.SetAsync("j", 6, Tagged("cleared"), Ct);
        await p.Cache.ClearAsync(Ct);
        await p.Cache.SetAsync("j", 7, cancellationToken: Ct);
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("cleared", Ct));
        Assert.Equal(7, await p.Cache.GetAsync<int>("j", Ct));

        // AddAsync over an expired tagged entry stores it without tags.
        await p.Cache.SetAsync("x", 8, new CacheEntryOptions { Tags = ["add"], AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(10) }, Ct);
        Advance(10);
        Assert.True(await p.Cache.AddAsync("x", 9, cancellationToken: Ct));
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("add", Ct));
        Assert.Equal(9, await p.Cache.GetAsync<int>("x", Ct));
    }

    [Fact]
    public async Task Tags_SurviveRefreshAndSlidingRenewals()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("s", "v", new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(100), Tags = ["slide"] }, Ct);
        Advance(60);
        Assert.True(await p.Cache.RefreshAsync("s", Ct));
        Advance(60);
        Assert.Equal("v", await p.Cache.GetAsync<string>("s", Ct));
        Advance(60);
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("slide", Ct));
        Assert.Null(await p.Cache.GetAsync<string>("s", Ct));
    }

    [Fact]
    public async Task RemoveByTag_DeletesExpiredTaggedRowsToo_AndPruneLeavesNothingBehind()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("soon", 1, new CacheEntryOptions { Tags = ["t"], AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(10) }, Ct);
        await p.Cache.SetAsync("later", 2, new CacheEntryOptions { Tags = ["t", "u"], AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(10) }, Ct);
        Advance(10);
        Assert.Equal(2, await p.Cache.RemoveByTagAsync("t", Ct)); // both rows, expired and not yet swept
        Assert.Equal(0, (await p.PruneAsync(Ct)).Cache);

        // Pruned tagged rows take their tags along: a key stored again without tags keeps its value.
        await p.Cache.SetAsync("p", 3, new CacheEntryOptions { Tags = ["pruned"], AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(10) }, Ct);
        Advance(10);
        Assert.Equal(1, (await p.PruneAsync(Ct)).Cache);
        await p.Cache.SetAsync("p", 4, cancellationToken: Ct);
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("pruned", Ct));
        Assert.Equal(4, await p.Cache.GetAsync<int>("p", Ct));
    }

    [Fact]
    public async Task Tags_AreValidated_BeforeAnythingIsStored()
    {
        var p = await OpenAsync();
        foreach (var bad in new[] { "", new string('t', CacheEntryOptions.MaxTagLength + 1), "a\nb", "tab\t", "\uD800", "x\uDC00", "\u007F" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => p.Cache.SetAsync("k", 1, Tagged(bad), Ct).AsTask());
            await Assert.ThrowsAsync<ArgumentException>(() => p.Cache.RemoveByTagAsync(bad, Ct).AsTask());
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => p.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = [null!] }, Ct).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => p.Cache.RemoveByTagAsync(null!, Ct).AsTask());
        var tooMany = Enumerable.Range(0, CacheEntryOptions.MaxTags + 1).Select(i => $"t{i}").ToArray();
        await Assert.ThrowsAsync<ArgumentException>(() => p.Cache.SetAsync("k", 1, Tagged(tooMany), Ct).AsTask());
        Assert.False(await p.Cache.HasAsync("k", Ct));

        // The limit counts distinct tags: a tag given many times is one.
        await p.Cache.SetAsync("dup", 1, Tagged(Enumerable.Repeat("dup", CacheEntryOptions.MaxTags + 5).ToArray()), Ct);
        Assert.Equal(1, await p.Cache.RemoveByTagAsync("dup", Ct));

        // The longest tag, the most tags, quotes, backslashes, JSON-looking text and non-ASCII round-trip exactly.
        var edge = new[] { new string('x', CacheEntryOptions.MaxTagLength), "quote\"d", "back\\slash", "[\"json\"]", "ünï 🏷", "%", "_" };
        await p.Cache.SetAsync("edge", 1, Tagged([.. edge, .. edge]), Ct);
        await p.Cache.SetAsync("most", 2, Tagged(Enumerable.Range(0, CacheEntryOptions.MaxTags).Select(i => $"t{i}").ToArray()), Ct);
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("quote", Ct));
        Assert.Equal(0, await p.Cache.RemoveByTagAsync("json", Ct));
        foreach (var tag in edge)
        {
            await p.Cache.SetAsync("edge", 1, Tagged(tag), Ct);
            Assert.Equal(1, await p.Cache.RemoveByTagAsync(tag, Ct));
        }

        Assert.Equal(1, await p.Cache.RemoveByTagAsync($"t{CacheEntryOptions.MaxTags - 1}", Ct));
    }

    [Fact]
    public async Task TheAdminListsEveryTag_WithItsLiveAndExpiredEntries_InCodePointOrder()
    {
        var p = await OpenAsync();
        Assert.Empty(await p.Admin.ListCacheTagsAsync(Ct));
        await p.Cache.SetAsync("x", 1, Tagged("b", "a", "b"), Ct);
        await p.Cache.SetAsync("y", 2, Tagged("a", "é"), Ct);
        await p.Cache.SetAsync("w", 5, Tagged("😀", "\uFF01"), Ct);
        await p.Cache.SetAsync("z", 3, new CacheEntryOptions { Tags = ["Z"], AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(10) }, Ct);
        await p.Cache.SetAsync("plain", 4, cancellationToken: Ct);
        Advance(10);
        Assert.Equal(
            [
                new CacheTagSummary("Z", new RowCounts(0, 1)), new CacheTagSummary("a", new RowCounts(2, 0)), new CacheTagSummary("b", new RowCounts(1, 0)),
                new CacheTagSummary("é", new RowCounts(1, 0)), new CacheTagSummary("\uFF01", new RowCounts(1, 0)), new CacheTagSummary("😀", new RowCounts(1, 0)),
            ],
            await p.Admin.ListCacheTagsAsync(Ct));
        await p.Cache.DeleteAsync("w", Ct);

        await p.Cache.RemoveByTagAsync("a", Ct);
        Assert.Equal([new CacheTagSummary("Z", new RowCounts(0, 1))], await p.Admin.ListCacheTagsAsync(Ct));
    }

    [Fact]
    public async Task RemoveByTag_HonorsCancellation()
    {
        var p = await OpenAsync();
        await p.Cache.SetAsync("k", 1, Tagged("t"), Ct);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Cache.RemoveByTagAsync("t", cts.Token).AsTask());
        Assert.Equal(1, await p.Cache.GetAsync<int>("k", Ct));
    }
}
