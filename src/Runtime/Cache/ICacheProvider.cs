using System.Runtime.CompilerServices;

namespace NativeAotPersistence;

/// <summary>
/// A key-value cache with optional time-to-live. An entry is live while now is before its expiry, with
/// millisecond precision. Keys are namespaced by <see cref="PersistenceAdapterOptions.KeyPrefix"/>.
/// </summary>
/// <remarks>
/// Keys are non-empty strings compared ordinally; <see langword="null"/>, <c>""</c> or a lone surrogate is an
/// <see cref="ArgumentException"/>. A TTL of <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/> never
/// expires; zero or another negative value is an <see cref="ArgumentOutOfRangeException"/>; a positive TTL below
/// 1 ms counts as 1 ms. A stored value that does not parse as the requested type throws
/// <see cref="PayloadFormatException"/>; it is never reported as a miss.
/// </remarks>
public interface ICacheProvider
{
    /// <summary>
    /// Gets the generated serializers this cache resolves payload types through (its adapter's
    /// <see cref="PersistenceAdapterOptions.Payloads"/>), for helpers such as
    /// <see cref="CacheProviderExtensions.GetOrSetAsync{T}(ICacheProvider, string, Func{CancellationToken, ValueTask{T}}, TimeSpan?, CancellationToken)"/>.
    /// A decorator returns its inner provider's.
    /// </summary>
    PayloadContext? Payloads { get; }

    /// <summary>Gets the live value of <paramref name="key"/>, or <see langword="default"/> on a miss or expiry.</summary>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets the live value of <paramref name="key"/>, or <see langword="default"/> on a miss or expiry.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<T?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Looks <paramref name="key"/> up, telling a stored <see langword="null"/> or 0 from a miss.</summary>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Looks <paramref name="key"/> up, telling a stored <see langword="null"/> or 0 from a miss.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<CacheLookup<T>> TryGetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any entry.</summary>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttl">How long the entry lives; <see langword="null"/> for ever.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    [OverloadResolutionPriority(1)] // a null TTL (the common `SetAsync(key, value, null, typeInfo)`) stays this overload
    ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any entry.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttl">How long the entry lives; <see langword="null"/> for ever.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    [OverloadResolutionPriority(1)]
    ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> only if no live entry exists (an expired one is replaced).</summary>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttl">How long the entry lives; <see langword="null"/> for ever.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="true"/> if the value was stored.</returns>
    ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> only if no live entry exists (an expired one is replaced).</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttl">How long the entry lives; <see langword="null"/> for ever.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="true"/> if the value was stored.</returns>
    ValueTask<bool> AddAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry for <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="true"/> if a live entry was removed.</returns>
    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> with absolute and/or sliding expiry, replacing any
    /// entry. A sliding entry's expiry is renewed by every <c>GetAsync</c>/<c>TryGetAsync</c> hit and by
    /// <see cref="RefreshAsync"/> (not by <see cref="HasAsync"/> or <see cref="KeysAsync"/>), never past its absolute expiry.
    /// </summary>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The expiry; an absolute expiry in the past or a non-positive span is an <see cref="ArgumentOutOfRangeException"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="SetAsync{T}(string, T, CacheEntryOptions, CancellationToken)"/>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The expiry.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Renews a live sliding entry's expiry as a read would, without reading its value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="true"/> if a live entry exists (sliding or not).</returns>
    ValueTask<bool> RefreshAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets whether a live entry exists for <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<bool> HasAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes every entry of this adapter's <see cref="PersistenceAdapterOptions.KeyPrefix"/> stored with
    /// <paramref name="tag"/> among its <see cref="CacheEntryOptions.Tags"/>, in one atomic step: a real delete (the rows
    /// are gone, for every process on the store), not a mark that readers check.
    /// </summary>
    /// <param name="tag">The tag (1 to <see cref="CacheEntryOptions.MaxTagLength"/> characters, no control characters).</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>How many entries were deleted (expired ones not yet swept included).</returns>
    /// <exception cref="ArgumentException"><paramref name="tag"/> is not a valid tag.</exception>
    ValueTask<int> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>Removes every entry of this adapter's <see cref="PersistenceAdapterOptions.KeyPrefix"/>, and no other.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the live keys, without prefix, sorted by <see cref="StringComparer.Ordinal"/>.</summary>
    /// <param name="pattern">
    /// An optional glob: <c>*</c> matches any run of characters, <c>?</c> exactly one; every other character matches
    /// itself, case-sensitively. <see langword="null"/> lists every key.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, CancellationToken cancellationToken = default);
}
