namespace NativeAotPersistence;

/// <summary>The checks every adapter applies to its <see cref="PersistenceAdapterOptions"/>.</summary>
internal static class AdapterOptions
{
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
