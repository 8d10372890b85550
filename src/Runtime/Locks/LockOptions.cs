namespace NativeAotPersistence;

/// <summary>How <see cref="LockProviderExtensions.AcquireAsync(ILockProvider, string, LockOptions, CancellationToken)"/> acquires and holds a lock.</summary>
public sealed class LockOptions
{
    /// <summary>Gets the lock's TTL; <see langword="null"/> uses <see cref="ILockProvider.DefaultTtl"/>.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Gets how long to wait for a lock another owner holds; zero (the default) tries once.</summary>
    public TimeSpan Wait { get; init; }

    /// <summary>
    /// Gets whether the lock is renewed in the background a third of its TTL after each grant until released. A
    /// renewal must be through before two thirds of the TTL have passed: when it is not (a busy database, a lost
    /// connection), when it fails, or when it finds the lock taken over, <see cref="ILockHandle.HandleLost"/> fires
    /// (while no other owner can have the lock yet, in the first case) and renewing stops. Every loss is reported to
    /// <see cref="PersistenceEvents"/> with its reason. An auto-renewed lock needs a TTL of at least 3 ms.
    /// </summary>
    public bool AutoExtend { get; init; }

    /// <summary>Gets the owner; a unique one is generated when <see langword="null"/>.</summary>
    public string? Owner { get; init; }

    /// <summary>
    /// Gets the clock that times <see cref="Wait"/>. The default, <see langword="null"/>, is the adapter's
    /// <see cref="PersistenceAdapterOptions.TimeProvider"/>; <see cref="TimeProvider.System"/> for a lock provider that is
    /// not one of this library's (whose renewals it also times). A lock of this library's providers is always granted,
    /// renewed and given up on the adapter's clock, the one clock that decides every expiry of the store.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }
}
