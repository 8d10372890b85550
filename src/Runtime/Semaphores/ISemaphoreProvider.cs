namespace NativeAotPersistence;

/// <summary>
/// Counting semaphores by key, shared by every process (and, on PostgreSQL, every machine) using the store: at most
/// <c>permits</c> holders of a key at once. Each permit is a lease like a lock: a TTL counted from its grant, renewal,
/// <see cref="ILockHandle.HandleLost"/>, a fencing token from the store's one counter (the same as locks), release.
/// </summary>
/// <remarks>
/// <para>
/// The limit belongs to the key while it has live permits: asking for a key with a different <c>permits</c> than its
/// live holders were granted with is an <see cref="ArgumentException"/> (never two limits at once); once every permit
/// is released or expired, the next grant sets the limit. The same owner acquiring again while it holds a permit gets
/// the same permit with a fresh TTL (re-entrant, not counted), as with locks. A holder that died on this host (its
/// process is gone) frees its permit at once; elsewhere a permit ends with its TTL.
/// </para>
/// <para>Keys follow the same rules as every other kind (<see cref="PersistenceAdapterOptions.KeyPrefix"/> namespaces them).</para>
/// </remarks>
public interface ISemaphoreProvider
{
    /// <summary>Gets the TTL used by overloads that take none (<see cref="PersistenceAdapterOptions.DefaultLockTtl"/>).</summary>
    TimeSpan DefaultTtl { get; }

    /// <summary>Tries once to take one of the <paramref name="permits"/> permits of <paramref name="key"/>.</summary>
    /// <param name="key">The semaphore's key.</param>
    /// <param name="permits">How many holders the key allows at once: 1 to 100,000.</param>
    /// <param name="ttl">How long the permit is held unless extended, from its grant; finite, positive, at most 30 days.</param>
    /// <param name="owner">The owner; a unique one is generated when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>A handle to the permit, or <see langword="null"/> if all of them are held by others.</returns>
    /// <exception cref="ArgumentException">The key's live permits were granted with another limit.</exception>
    ValueTask<ILockHandle?> AcquireAsync(string key, int permits, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default);

    /// <summary>Gets the key's limit and live holders, or <see langword="null"/> when nobody holds a permit.</summary>
    /// <param name="key">The semaphore's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<SemaphoreInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Removes every permit of <paramref name="key"/>, whoever holds them (their handles find them lost).</summary>
    /// <param name="key">The semaphore's key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default);
}
