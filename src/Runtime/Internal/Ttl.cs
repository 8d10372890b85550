namespace NativeAotPersistence;

/// <summary>Time-to-live rules (API.md §0) and millisecond clock arithmetic shared by every backend.</summary>
internal static class Ttl
{
    /// <summary>The largest Unix time in milliseconds a <see cref="DateTimeOffset"/> can hold.</summary>
    public static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static long NowMs(TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>
    /// The expiry of an entry stored now with <paramref name="ttl"/>, in Unix milliseconds, or <see langword="null"/>
    /// for never: <see langword="null"/> and <see cref="Timeout.InfiniteTimeSpan"/> never expire; zero and other
    /// negative values throw; a positive TTL below 1 ms counts as 1 ms; an expiry past
    /// <see cref="DateTimeOffset.MaxValue"/> never expires.
    /// </summary>
    public static long? ExpiresAt(TimeSpan? ttl, long nowMs, string paramName = "ttl")
    {
        if (ttl is not { } value || value == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        if (value <= TimeSpan.Zero)
        {
            ThrowNotPositive(value, paramName);
        }

        var ms = Math.Max(1, value.Ticks / TimeSpan.TicksPerMillisecond);
        return ms > MaxUnixMs - nowMs ? null : nowMs + ms;
    }

    /// <summary>Validates a TTL argument without computing an expiry.</summary>
    public static void Validate(TimeSpan? ttl, string paramName = "ttl")
    {
        if (ttl is { } value && value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            ThrowNotPositive(value, paramName);
        }
    }

    /// <summary>A lock TTL: finite and positive (a lock that never expires is a lock nobody can recover).</summary>
    public static long LockExpiresAt(TimeSpan ttl, long nowMs, string paramName = "ttl")
    {
        if (ttl <= TimeSpan.Zero || ttl == Timeout.InfiniteTimeSpan || ttl == TimeSpan.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                paramName, ttl, "A lock TTL must be finite and positive: a lock that never expires is a lock nobody can recover.");
        }

        var ms = Math.Max(1, ttl.Ticks / TimeSpan.TicksPerMillisecond);
        return ms > MaxUnixMs - nowMs ? MaxUnixMs : nowMs + ms;
    }

    /// <summary>Whether an entry with this expiry is live at <paramref name="nowMs"/>.</summary>
    public static bool IsLive(long? expiresAtMs, long nowMs) => expiresAtMs is not { } at || nowMs < at;

    private static void ThrowNotPositive(TimeSpan value, string paramName) =>
        throw new ArgumentOutOfRangeException(
            paramName, value, "A TTL must be positive; use null or Timeout.InfiniteTimeSpan for an entry that never expires.");
}
