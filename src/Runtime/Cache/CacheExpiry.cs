using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a cache entry's stored expiry, computed from <see cref="CacheEntryOptions"/>: the effective
/// <see cref="ExpiresAtMs"/> every query tests, plus, for a sliding entry, its window and absolute limit, from which each
/// read computes the renewed expiry (now + window, at most the absolute limit).
/// </summary>
/// <remarks>
/// A backend stores all three and treats an entry as live while now is before <see cref="ExpiresAtMs"/> (or it is
/// <see langword="null"/>); a read or refresh of a live sliding entry sets <see cref="ExpiresAtMs"/> to
/// min(now + <see cref="SlidingMs"/>, <see cref="AbsoluteMs"/>) before it returns.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct CacheExpiry
{
    internal CacheExpiry(long? expiresAtMs, long? slidingMs, long? absoluteMs)
    {
        ExpiresAtMs = expiresAtMs;
        SlidingMs = slidingMs;
        AbsoluteMs = absoluteMs;
    }

    /// <summary>Gets the expiry in Unix milliseconds, or <see langword="null"/> for an entry that never expires.</summary>
    public long? ExpiresAtMs { get; }

    /// <summary>Gets the sliding window in milliseconds, or <see langword="null"/> for an entry that does not slide.</summary>
    public long? SlidingMs { get; }

    /// <summary>Gets the absolute limit in Unix milliseconds a sliding entry never outlives, or <see langword="null"/> for none.</summary>
    public long? AbsoluteMs { get; }

    internal static CacheExpiry FromTtl(TimeSpan? ttl, long nowMs) => new(Ttl.ExpiresAt(ttl, nowMs), null, null);

    /// <summary>Validates <paramref name="options"/> as <c>DistributedCacheEntryOptions</c> does and computes the expiry.</summary>
    /// <param name="options">The caller's options.</param>
    /// <param name="nowMs">Now, from <see cref="Ttl.NowMs"/>.</param>
    /// <returns>The expiry to store.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A relative expiration or sliding window that is not positive and finite, or an absolute expiration that is not in the future.</exception>
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
    internal static long Renewed(long slidingMs, long? absoluteMs, long nowMs)
    {
        var renewed = slidingMs > Ttl.MaxUnixMs - nowMs ? Ttl.MaxUnixMs : nowMs + slidingMs;
        return absoluteMs is { } limit ? Math.Min(renewed, limit) : renewed;
    }
}
