using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a cache entry's stored expiry, computed from <see cref="CacheEntryOptions"/>: the effective
/// <see cref="ExpiresAtMs"/> every query tests, plus, for a sliding entry, its window and absolute limit, from which each
/// read computes the renewed expiry (now + window, at most the absolute limit).
/// </summary>
/// <remarks>
/// A backend stores all four and treats an entry as live while now is before <see cref="LiveUntilMs"/> (or it is
/// <see langword="null"/>); a read or refresh of a live sliding entry sets <see cref="ExpiresAtMs"/> to
/// min(now + <see cref="SlidingMs"/>, <see cref="AbsoluteMs"/>) before it returns. An entry with a
/// <see cref="CacheEntryOptions.FailSafeMaxDuration"/> has a <see cref="FreshUntilMs"/> (its expiry as every read sees
/// it) and keeps its row until <see cref="ExpiresAtMs"/>, so sweeps and prune, which go by <see cref="ExpiresAtMs"/>
/// alone, reclaim it once the fail-safe window has passed, and only then.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct CacheExpiry
{
    internal CacheExpiry(long? expiresAtMs, long? slidingMs, long? absoluteMs, long? freshUntilMs = null)
    {
        ExpiresAtMs = expiresAtMs;
        SlidingMs = slidingMs;
        AbsoluteMs = absoluteMs;
        FreshUntilMs = freshUntilMs;
    }

    /// <summary>
    /// Gets when the row may be reclaimed, in Unix milliseconds (the expiry itself unless the entry is kept as a fail-safe
    /// value), or <see langword="null"/> for an entry that never expires.
    /// </summary>
    public long? ExpiresAtMs { get; }

    /// <summary>
    /// Gets the expiry every read sees, in Unix milliseconds, of an entry kept past it as a fail-safe value until
    /// <see cref="ExpiresAtMs"/>; <see langword="null"/> for any other entry (whose expiry is <see cref="ExpiresAtMs"/>).
    /// </summary>
    public long? FreshUntilMs { get; }

    /// <summary>Gets the expiry every read sees: <see cref="FreshUntilMs"/> if set, otherwise <see cref="ExpiresAtMs"/>.</summary>
    public long? LiveUntilMs => FreshUntilMs ?? ExpiresAtMs;

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
    /// <exception cref="ArgumentOutOfRangeException">A relative expiration, sliding window or fail-safe span that is not positive and finite, or an absolute expiration that is not in the future.</exception>
    /// <exception cref="ArgumentException">A fail-safe span with a sliding expiration.</exception>
    public static CacheExpiry From(CacheEntryOptions options, long nowMs)
    {
        var expiry = Expiry(options, nowMs);
        if (options.FailSafeMaxDuration is not { } failSafe)
        {
            return expiry;
        }

        if (failSafe <= TimeSpan.Zero || failSafe == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), failSafe, "CacheEntryOptions.FailSafeMaxDuration must be positive and finite.");
        }

        if (expiry.SlidingMs is not null)
        {
            throw new ArgumentException(
                "CacheEntryOptions.FailSafeMaxDuration needs an absolute expiry: a sliding entry has no fixed point to be stale after. Use AbsoluteExpirationRelativeToNow instead of SlidingExpiration.",
                nameof(options));
        }

        if (expiry.ExpiresAtMs is not { } fresh)
        {
            return expiry; // never expires, so never stale
        }

        var keep = Math.Max(1, failSafe.Ticks / TimeSpan.TicksPerMillisecond);
        return new CacheExpiry(keep > Ttl.MaxUnixMs - fresh ? Ttl.MaxUnixMs : fresh + keep, null, null, fresh);
    }

    private static CacheExpiry Expiry(CacheEntryOptions options, long nowMs)
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
