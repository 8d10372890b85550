namespace NativeAotPersistence;

/// <summary>
/// How <c>GetOrSetAsync</c> produces a missing value: what it stores, who runs the factory (one caller per key in the
/// process, or in every process on the store), how long callers wait, and what they get when the factory fails (a
/// fail-safe value) or the entry is about to expire (an eager refresh).
/// </summary>
public sealed record GetOrSetOptions
{
    /// <summary>
    /// Gets the stored value's expiry, tags and fail-safe span (<see cref="CacheEntryOptions.FailSafeMaxDuration"/>);
    /// <see langword="null"/> stores it without expiry or tags.
    /// </summary>
    public CacheEntryOptions? Entry { get; init; }

    /// <summary>
    /// Gets who runs the factory on a miss: <see cref="LockScope.Database"/>, one caller per key in every process on the
    /// store (under a lease of the store, renewed while the factory runs; the others wait and read what it stored; a runner
    /// that dies leaves its lease to expire, or to be taken over at once on the same host, and one waiter runs the factory);
    /// <see cref="LockScope.Process"/>, one caller per key in this process. <see langword="null"/> (the default): the
    /// adapter's <see cref="PersistenceAdapterOptions.LockScope"/>, so <see cref="LockScope.Database"/> by default.
    /// </summary>
    public LockScope? Scope { get; init; }

    /// <summary>
    /// Gets how long a caller waits for another caller's factory (in this process or another) before it gives up: it then
    /// gets the stale value if there is one, otherwise a <see cref="TimeoutException"/>. <see cref="Timeout.InfiniteTimeSpan"/>
    /// (the default) waits as long as it takes; the caller's token cancels the wait either way.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Gets how long a caller that has a stale (fail-safe) value waits for a fresh one, from its own factory or another
    /// caller's, before it returns the stale value. Its own factory goes on in the background (no longer cancelled by the
    /// caller's token), holding the key, and stores its result when it finishes. <see langword="null"/> (the default): no
    /// soft timeout. Without a stale value it does not apply.
    /// </summary>
    public TimeSpan? FactorySoftTimeout { get; init; }

    /// <summary>
    /// Gets how long, after the factory failed or timed out and a stale value was served, callers in this process get the
    /// stale value at once instead of running the factory again (so a source that is down is not hammered by every
    /// waiting caller in turn). 30 seconds by default; <see cref="TimeSpan.Zero"/> runs the factory on every call.
    /// </summary>
    public TimeSpan FailSafeThrottleDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets how long the factory may run: after this its token is cancelled and the caller gets the stale value if there
    /// is one, otherwise a <see cref="TimeoutException"/>, at once (a factory that ignores its token is left to finish
    /// on its own); nothing it returns later is stored. <see langword="null"/> (the default): no limit. Longer than
    /// <see cref="FactorySoftTimeout"/>; at most 49 days (as every timeout here).
    /// </summary>
    public TimeSpan? FactoryHardTimeout { get; init; }

    /// <summary>
    /// Gets the fraction of an entry's lifetime (from when it was stored to its expiry) after which a hit returns the
    /// current value and refreshes it in the background: once per key across the process (and, with
    /// <see cref="LockScope.Database"/>, across every process on the store: a refresh runs only if it gets the key's lease
    /// at once), so a hot key never misses. Each stored version is refreshed at most once per process; a refresh gives up
    /// at <see cref="FactoryHardTimeout"/> or, without one, when the entry expires. Between 0 and 1 exclusive; not with a
    /// sliding expiry (an <see cref="ArgumentException"/>: its lifetime moves with every read); meant for
    /// <see cref="CacheEntryOptions.AbsoluteExpirationRelativeToNow"/>, where each refresh starts a new lifetime (with a
    /// fixed <see cref="CacheEntryOptions.AbsoluteExpiration"/> every refresh ends at the same instant).
    /// <see langword="null"/> (the default) never refreshes early. A refresh that fails leaves the current value in place (see <see cref="PersistenceTelemetry"/>'s
    /// <c>nap.cache.factory</c> counter).
    /// </summary>
    public double? EagerRefreshThreshold { get; init; }
}

/// <summary>Where the value <c>GetOrSetResultAsync</c> returned came from.</summary>
public enum GetOrSetSource
{
    /// <summary>A live entry of the cache (stored by an earlier call, by another caller's factory, or by <c>SetAsync</c>).</summary>
    Cache,

    /// <summary>This call's factory, whose result was stored.</summary>
    Factory,

    /// <summary>
    /// An expired entry kept as a fail-safe value (<see cref="CacheEntryOptions.FailSafeMaxDuration"/>), because the
    /// factory threw or timed out, or the wait for another caller's factory timed out; see <see cref="GetOrSetResult{T}.Error"/>.
    /// </summary>
    Stale,
}

/// <summary>The value <c>GetOrSetResultAsync</c> returned, and where it came from.</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Source">Where it came from.</param>
/// <param name="Error">
/// Why a stale value was returned: the factory's exception, or a <see cref="TimeoutException"/> (a factory or lock
/// timeout); <see langword="null"/> unless <paramref name="Source"/> is <see cref="GetOrSetSource.Stale"/>.
/// </param>
/// <param name="ExpiredAt">When a stale value expired; <see langword="null"/> unless <paramref name="Source"/> is <see cref="GetOrSetSource.Stale"/>.</param>
public readonly record struct GetOrSetResult<T>(T Value, GetOrSetSource Source, Exception? Error = null, DateTimeOffset? ExpiredAt = null)
{
    /// <summary>Gets whether the value is a stale fail-safe value.</summary>
    public bool IsStale => Source == GetOrSetSource.Stale;
}
