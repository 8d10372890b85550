namespace NativeAotPersistence;

/// <summary>
/// How long a cache entry lives: an absolute expiry (a point in time or a span from now), a sliding expiry that every
/// read or <see cref="ICacheProvider.RefreshAsync"/> renews, or both (the entry then ends at whichever comes first).
/// No expiry at all keeps the entry for ever.
/// </summary>
/// <remarks>The same model as <c>Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions</c>.</remarks>
public sealed record CacheEntryOptions
{
    /// <summary>Gets the point in time the entry expires, however often it is read.</summary>
    public DateTimeOffset? AbsoluteExpiration { get; init; }

    /// <summary>Gets how long from now the entry expires, however often it is read.</summary>
    public TimeSpan? AbsoluteExpirationRelativeToNow { get; init; }

    /// <summary>Gets how long the entry lives after it was last stored, read or refreshed.</summary>
    public TimeSpan? SlidingExpiration { get; init; }

    /// <summary>
    /// Gets the entry's tags: <see cref="ICacheProvider.RemoveByTagAsync"/> deletes every entry that has the tag, at
    /// once, for every process on the store. Storing the key again replaces them (without options: no tags); a refresh or
    /// a sliding renewal keeps them. At most <see cref="MaxTags"/> distinct tags, each 1 to <see cref="MaxTagLength"/>
    /// characters of valid UTF-16 without control characters; a tag given twice counts once. <c>AddAsync</c>, and
    /// <c>GetOrSetAsync</c> without <see cref="GetOrSetOptions.Entry"/>, store entries without tags.
    /// </summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>
    /// Gets how long the entry is kept past its expiry as a fail-safe value: <c>GetOrSetAsync</c> returns it (marked
    /// stale, see <see cref="GetOrSetResult{T}"/>) when its factory throws or times out, for at most this long. For
    /// everything else the entry has expired: <c>GetAsync</c>/<c>HasAsync</c> miss, <c>KeysAsync</c> does not list it, the
    /// admin counts it as expired, and prune reclaims it once this span has passed. <see langword="null"/> (the default)
    /// keeps nothing. Needs an absolute expiry (an entry that never expires never goes stale, so it is ignored there); with
    /// a <see cref="SlidingExpiration"/> it is an <see cref="ArgumentException"/>.
    /// </summary>
    public TimeSpan? FailSafeMaxDuration { get; init; }

    /// <summary>The most tags an entry may have.</summary>
    public const int MaxTags = 64;

    /// <summary>The longest tag, in UTF-16 characters.</summary>
    public const int MaxTagLength = 256;
}
