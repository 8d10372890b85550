namespace NativeAotPersistence;

/// <summary>How <see cref="LockProviderExtensions.AcquireAsync(ILockProvider, string, LockOptions, CancellationToken)"/> acquires and holds a lock.</summary>
public sealed class LockOptions
{
    /// <summary>Gets the lock's TTL; <see langword="null"/> uses <see cref="ILockProvider.DefaultTtl"/>.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Gets how long to wait for a lock another owner holds; zero (the default) tries once.</summary>
    public TimeSpan Wait { get; init; }

    /// <summary>
    /// Gets whether the lock is renewed in the background every third of its TTL until released. When a renewal
    /// fails or finds the lock taken over, <see cref="ILockHandle.HandleLost"/> fires and renewing stops.
    /// </summary>
    public bool AutoExtend { get; init; }

    /// <summary>Gets the owner; a unique one is generated when <see langword="null"/>.</summary>
    public string? Owner { get; init; }

    /// <summary>
    /// Gets the clock for waiting and renewing. Use the adapter's <see cref="PersistenceAdapterOptions.TimeProvider"/>
    /// so expiry and renewal agree. The default is <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
