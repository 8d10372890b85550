using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: what <c>GetOrSetAsync</c> needs of a cache provider beyond its public members: the entry as stored (live
/// or kept past its expiry as a fail-safe value, with when it was stored), the identity of the store for the in-process
/// gate, and the store's leases for one factory run per key across processes. A backend's cache provider implements it;
/// a provider that does not gets single flight in its own process only, and no fail-safe or eager refresh.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ICacheEntryStore : ICacheProvider
{
    /// <summary>
    /// Gets the identity of the store and namespace (backend, database file or server, key prefix), so that every adapter
    /// of this process on the same store shares one in-process gate per key.
    /// </summary>
    string GateScope { get; }

    /// <summary>Gets the adapter's clock, which decides every expiry.</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Gets the adapter's <see cref="PersistenceAdapterOptions.LockScope"/>: the scope of a factory run unless the caller names one.</summary>
    LockScope DefaultLockScope { get; }

    /// <summary>Gets the TTL of a factory run's lease (the adapter's <see cref="PersistenceAdapterOptions.DefaultLockTtl"/>), renewed while the factory runs.</summary>
    TimeSpan FactoryLeaseTtl { get; }

    /// <summary>Gets the store's <see cref="LockScope.Database"/> leases, whatever the adapter's scope (<see cref="AdapterCore.DatabaseLeases"/>).</summary>
    ILeaseStore DatabaseLeases { get; }

    /// <summary>
    /// Reads <paramref name="key"/>'s entry: live (a hit, which renews a sliding entry as a read does), kept past its
    /// expiry as a fail-safe value (<see cref="CacheEntryRead{T}.IsStale"/>), or neither (not found).
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="key">The caller's key, already validated.</param>
    /// <param name="typeInfo">The serializer.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="PayloadFormatException">The stored value does not parse as <typeparamref name="T"/>.</exception>
    ValueTask<CacheEntryRead<T>> ReadEntryAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken);
}

/// <summary>Backend kit: a cache entry as <see cref="ICacheEntryStore.ReadEntryAsync"/> read it.</summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="found">Whether a live or stale entry was found.</param>
/// <param name="value">The stored value, when found.</param>
/// <param name="isStale">Whether the entry has expired and is only kept as a fail-safe value.</param>
/// <param name="createdAtMs">When the value was stored, in Unix milliseconds (0 when unknown).</param>
/// <param name="expiresAtMs">The expiry reads see, in Unix milliseconds (for a stale entry: in the past), or <see langword="null"/> for never.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1815", Justification = "Read once and taken apart; never compared (an equality per payload type would cost NativeAOT size).")]
public readonly struct CacheEntryRead<T>(bool found, T? value, bool isStale, long createdAtMs, long? expiresAtMs)
{
    /// <summary>Gets whether a live or stale entry was found.</summary>
    public bool Found { get; } = found;

    /// <summary>Gets the stored value, when found.</summary>
    public T? Value { get; } = value;

    /// <summary>Gets whether the entry has expired and is only kept as a fail-safe value.</summary>
    public bool IsStale { get; } = isStale;

    /// <summary>Gets when the value was stored, in Unix milliseconds (0 when unknown).</summary>
    public long CreatedAtMs { get; } = createdAtMs;

    /// <summary>Gets the expiry reads see, in Unix milliseconds, or <see langword="null"/> for never.</summary>
    public long? ExpiresAtMs { get; } = expiresAtMs;
}
