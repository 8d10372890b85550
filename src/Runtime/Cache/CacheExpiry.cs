namespace NativeAotPersistence;

/// <summary>
/// A cache entry's stored expiry: the effective <see cref="ExpiresAtMs"/> every query tests, plus, for a sliding entry,
/// its window and absolute limit, from which each read computes the renewed expiry.
/// </summary>
internal readonly record struct CacheExpiry(long? ExpiresAtMs, long? SlidingMs, long? AbsoluteMs)
{
    public static CacheExpiry FromTtl(TimeSpan? ttl, long nowMs) => new(Ttl.ExpiresAt(ttl, nowMs), null, null);

    /// <summary>Validates <paramref name="options"/> as <c>DistributedCacheEntryOptions</c> does and computes the expiry.</summary>
    public static CacheExpiry From(CacheEntryOptions options, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(options);
        long? absolute = null;
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            absolute = Ttl.ExpiresAt(relative, nowMs, nameof(options)) ?? Ttl.MaxUnixMs;
        }

        if (options.AbsoluteExpiration is { } at)
        {
            var ms = at.ToUnixTimeMilliseconds();
            if (ms <= nowMs)
            {
                throw new ArgumentOutOfRangeException(nameof(options), at, "CacheEntryOptions.AbsoluteExpiration must be in the future.");
            }

            absolute = absolute is { } other ? Math.Min(other, ms) : ms;
        }

        if (options.SlidingExpiration is not { } sliding)
        {
            return new CacheExpiry(absolute, null, null);
        }

        if (sliding <= TimeSpan.Zero || sliding == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), sliding, "CacheEntryOptions.SlidingExpiration must be positive and finite.");
        }

        var window = Math.Max(1, sliding.Ticks / TimeSpan.TicksPerMillisecond);
        return new CacheExpiry(Renewed(window, absolute, nowMs), window, absolute);
    }

    /// <summary>The expiry of a sliding entry read at <paramref name="nowMs"/>.</summary>
    public static long Renewed(long slidingMs, long? absoluteMs, long nowMs)
    {
        var renewed = slidingMs > Ttl.MaxUnixMs - nowMs ? Ttl.MaxUnixMs : nowMs + slidingMs;
        return absoluteMs is { } limit ? Math.Min(renewed, limit) : renewed;
    }
}
