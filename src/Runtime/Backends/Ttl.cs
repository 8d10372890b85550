using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the time-to-live rules and the millisecond clock arithmetic every backend shares. Stored times are
/// Unix milliseconds (UTC) read from the adapter's <see cref="PersistenceAdapterOptions.TimeProvider"/>; an expiry that
/// would pass <see cref="DateTimeOffset.MaxValue"/> is clamped, never overflowed.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Ttl
{
    /// <summary>The largest Unix time in milliseconds a <see cref="DateTimeOffset"/> can hold.</summary>
    internal static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Gets the current time of <paramref name="time"/> in Unix milliseconds: the one reading every expiry of a store is computed from.</summary>
    /// <param name="time">The adapter's clock.</param>
    /// <returns>Milliseconds since 1970-01-01T00:00Z.</returns>
    public static long NowMs(TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();

    internal static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>The smallest Unix time in milliseconds a <see cref="DateTimeOffset"/> can hold.</summary>
    internal static readonly long MinUnixMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// Reads a stored time column: a value no <see cref="DateTimeOffset"/> can hold (a damaged row, or one another tool
    /// wrote) is a <see cref="PersistenceException"/> of kind <see cref="PersistenceErrorKind.Corrupt"/> naming the table,
    /// the column and the key, never a raw <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    /// <param name="ms">The stored value, in Unix milliseconds.</param>
    /// <param name="table">The table (or other container) the row is in, for the message.</param>
    /// <param name="column">The column, for the message.</param>
    /// <param name="key">The caller's key of the row, for the message.</param>
    /// <param name="operation">The operation, such as <c>lock.info</c>.</param>
    /// <param name="dataSource">The file or server, for the exception.</param>
    /// <returns>The time.</returns>
    /// <exception cref="PersistenceException"><paramref name="ms"/> is out of range (<see cref="PersistenceErrorKind.Corrupt"/>).</exception>
    public static DateTimeOffset FromStoredMs(long ms, string table, string column, string key, string operation, string? dataSource) =>
        ms >= MinUnixMs && ms <= MaxUnixMs
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw CorruptTime(ms, table, column, key, operation, dataSource);

    /// <inheritdoc cref="FromStoredMs(long, string, string, string, string, string?)"/>
    internal static DateTimeOffset? FromStoredMs(long? ms, string table, string column, string key, string operation, string? dataSource) =>
        ms is { } value ? FromStoredMs(value, table, column, key, operation, dataSource) : null;

    /// <summary>
    /// Reads a stored duration column (milliseconds, never negative); anything else is a
    /// <see cref="PersistenceErrorKind.Corrupt"/> error, as in <see cref="FromStoredMs(long, string, string, string, string, string?)"/>.
    /// </summary>
    /// <param name="ms">The stored value, or <see langword="null"/> for none.</param>
    /// <param name="table">The table (or other container) the row is in, for the message.</param>
    /// <param name="column">The column, for the message.</param>
    /// <param name="key">The caller's key of the row, for the message.</param>
    /// <param name="operation">The operation, such as <c>checkpoint.list</c>.</param>
    /// <param name="dataSource">The file or server, for the exception.</param>
    /// <returns>The duration, or <see langword="null"/> when <paramref name="ms"/> is.</returns>
    /// <exception cref="PersistenceException"><paramref name="ms"/> is negative or too long for a <see cref="TimeSpan"/> (<see cref="PersistenceErrorKind.Corrupt"/>).</exception>
    public static TimeSpan? DurationFromStoredMs(long? ms, string table, string column, string key, string operation, string? dataSource) =>
        ms is not { } value ? null
        : value >= 0 && value <= (long)TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.FromMilliseconds(value)
        : throw CorruptTime(value, table, column, key, operation, dataSource);

    private static PersistenceException CorruptTime(long ms, string table, string column, string key, string operation, string? dataSource) => new(
        $"The row of {table} for key '{(key.Length <= 200 ? key : string.Concat(key.AsSpan(0, 200), "…"))}' holds {ms} in {column}, which is not a time " +
        $"(Unix milliseconds between the years 1 and 9999) this library writes (during '{operation}' on '{dataSource}'): the row was damaged or " +
        "written by another tool. Delete the row, or the key's record, to use the key again.",
        PersistenceErrorKind.Corrupt,
        operation,
        dataSource);

    /// <summary>
    /// The expiry of an entry (cache entry, idempotency record) stored now with <paramref name="ttl"/>, in Unix
    /// milliseconds, or <see langword="null"/> for never: <see langword="null"/> and <see cref="Timeout.InfiniteTimeSpan"/>
    /// never expire; zero and other negative values throw; a positive TTL below 1 ms counts as 1 ms; an expiry past
    /// <see cref="DateTimeOffset.MaxValue"/> never expires.
    /// </summary>
    /// <param name="ttl">The caller's TTL.</param>
    /// <param name="nowMs">Now, from <see cref="NowMs"/>.</param>
    /// <param name="paramName">The parameter named in the exception.</param>
    /// <returns>The expiry, or <see langword="null"/> for an entry that never expires.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is zero, or negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
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
    internal static void Validate(TimeSpan? ttl, string paramName = "ttl")
    {
        if (ttl is { } value && value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            ThrowNotPositive(value, paramName);
        }
    }

    /// <summary>The longest lock TTL (30 days): a longer lease is a lock nobody can recover in practice.</summary>
    internal static readonly TimeSpan MaxLockTtl = TimeSpan.FromDays(30);

    /// <summary>
    /// Validates a lock TTL: finite, positive and at most 30 days (a lock that never expires, or only after a month, is a
    /// lock nobody can recover). Returns it in whole milliseconds (at least 1).
    /// </summary>
    /// <param name="ttl">The caller's lock TTL.</param>
    /// <param name="paramName">The parameter named in the exception.</param>
    /// <returns>The TTL in milliseconds, at least 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is not positive, is infinite, or is longer than 30 days.</exception>
    public static long ValidateLock(TimeSpan ttl, string paramName = "ttl")
    {
        if (ttl <= TimeSpan.Zero || ttl > MaxLockTtl)
        {
            ThrowBadLockTtl(ttl, paramName);
        }

        return Math.Max(1, ttl.Ticks / TimeSpan.TicksPerMillisecond);
    }

    /// <summary>
    /// The expiry of a lock granted at <paramref name="nowMs"/> with a TTL already validated by <see cref="ValidateLock"/>,
    /// clamped to the largest time a <see cref="DateTimeOffset"/> can hold.
    /// </summary>
    /// <param name="ttlMs">The TTL in milliseconds, from <see cref="ValidateLock"/>.</param>
    /// <param name="nowMs">The time of the grant, read once the store was free to write (a lease counts from its grant).</param>
    /// <returns>The expiry in Unix milliseconds.</returns>
    public static long LockExpiresAt(long ttlMs, long nowMs) => ttlMs > MaxUnixMs - nowMs ? MaxUnixMs : nowMs + ttlMs;

    /// <summary>Validates a lock TTL and returns the expiry of a lock granted at <paramref name="nowMs"/>.</summary>
    internal static long LockExpiresAt(TimeSpan ttl, long nowMs, string paramName = "ttl") => LockExpiresAt(ValidateLock(ttl, paramName), nowMs);

    /// <summary>Whether an entry with this expiry is live at <paramref name="nowMs"/>.</summary>
    internal static bool IsLive(long? expiresAtMs, long nowMs) => expiresAtMs is not { } at || nowMs < at;

    private static void ThrowBadLockTtl(TimeSpan ttl, string paramName) =>
        throw new ArgumentOutOfRangeException(
            paramName,
            ttl,
            ttl <= TimeSpan.Zero || ttl == Timeout.InfiniteTimeSpan
                ? "A lock TTL must be finite and positive: a lock that never expires is a lock nobody can recover."
                : "A lock TTL must be at most 30 days: a longer lease is a lock nobody can recover in practice. Hold it for less and renew it (LockOptions.AutoExtend) if the work takes longer.");

    private static void ThrowNotPositive(TimeSpan value, string paramName) =>
        throw new ArgumentOutOfRangeException(
            paramName, value, "A TTL must be positive; use null or Timeout.InfiniteTimeSpan for an entry that never expires.");
}
