using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: the checks every adapter applies to its <see cref="PersistenceAdapterOptions"/> when it is created.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AdapterOptions
{
    /// <summary>Validates <paramref name="options"/> and returns them.</summary>
    /// <param name="options">The caller's options.</param>
    /// <returns><paramref name="options"/>.</returns>
    /// <exception cref="ArgumentNullException"><see cref="PersistenceAdapterOptions.KeyPrefix"/> or <see cref="PersistenceAdapterOptions.TimeProvider"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PersistenceAdapterOptions.BusyTimeout"/> is negative, or <see cref="PersistenceAdapterOptions.DefaultLockTtl"/> is not a valid lock TTL.</exception>
    /// <exception cref="ArgumentException">The key prefix holds a lone surrogate.</exception>
    public static PersistenceAdapterOptions Validate(PersistenceAdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.KeyPrefix, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options));
        if (options.BusyTimeout < TimeSpan.Zero && options.BusyTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BusyTimeout, "BusyTimeout must be zero or positive.");
        }

        if (options.DefaultLockTtl <= TimeSpan.Zero || options.DefaultLockTtl > Ttl.MaxLockTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DefaultLockTtl, "DefaultLockTtl must be finite, positive and at most 30 days.");
        }

        Keys.ValidatePrefix(options.KeyPrefix);
        return options;
    }
}
