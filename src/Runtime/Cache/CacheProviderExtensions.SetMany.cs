using System.Runtime.CompilerServices;

namespace NativeAotPersistence;

public static partial class CacheProviderExtensions
{
    /// <summary>
    /// Stores every entry of <paramref name="entries"/>, replacing existing entries, in one transaction: all or none.
    /// </summary>
    /// <remarks>
    /// <para>
    /// One commit for the whole batch instead of one per entry: loading many entries this way costs a small part of as many
    /// <see cref="ICacheProvider.SetAsync{T}(string, T, TimeSpan?, CancellationToken)"/> calls (see the performance page of
    /// the documentation). When the returned task completes, every entry is stored; when it throws (a payload that does
    /// not serialize, a full disk, a busy database past the adapter's busy timeout, cancellation before the batch
    /// committed), none is, and whatever the keys held before is unchanged. The one exception is a PostgreSQL connection
    /// lost while the server committed: the <see cref="PersistenceException"/> then says the outcome is unknown, and since
    /// the batch only sets values, calling again is safe. A key that appears twice ends with its last value. Expiries
    /// count from the call.
    /// </para>
    /// <para>
    /// <paramref name="entries"/> is copied before anything is stored (on the caller's thread), so it may be a lazy
    /// sequence and may be changed once the call returns. The transaction holds the store's single writer while it runs:
    /// batches of a few hundred to a few thousand entries keep other writers' waits short; one huge batch makes them wait
    /// for all of it.
    /// </para>
    /// </remarks>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="entries">The keys and values.</param>
    /// <param name="ttl">How long every entry lives; <see langword="null"/> for ever.</param>
    /// <param name="cancellationToken">Cancels the call before the batch commits (on SQLite, while it waits for the writer or a busy database; on PostgreSQL, until its commit); a cancelled batch stores nothing.</param>
    /// <returns>A task that completes when the batch has committed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/> or <paramref name="entries"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key is <see langword="null"/> or empty, or holds a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is zero or negative.</exception>
    /// <exception cref="NotSupportedException">The provider cannot store a batch atomically (a custom provider that does not implement the backend kit's batch interface).</exception>
    [OverloadResolutionPriority(1)] // a null TTL (`SetManyAsync(entries, null)`) stays this overload
    public static ValueTask SetManyAsync<T>(this ICacheProvider cache, IEnumerable<KeyValuePair<string, T>> entries, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return SetManyAsync(cache, entries, ttl, PayloadResolver.Resolve<T>(cache.Payloads), cancellationToken);
    }

    /// <summary>
    /// Stores every entry of <paramref name="entries"/>, replacing existing entries, in one transaction: all or none
    /// (see <see cref="SetManyAsync{T}(ICacheProvider, IEnumerable{KeyValuePair{string, T}}, TimeSpan?, CancellationToken)"/>).
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="entries">The keys and values.</param>
    /// <param name="ttl">How long every entry lives; <see langword="null"/> for ever.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the call before the batch commits (on SQLite, while it waits for the writer or a busy database; on PostgreSQL, until its commit); a cancelled batch stores nothing.</param>
    /// <returns>A task that completes when the batch has committed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/>, <paramref name="entries"/> or <paramref name="typeInfo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key is <see langword="null"/> or empty, or holds a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is zero or negative.</exception>
    /// <exception cref="NotSupportedException">The provider cannot store a batch atomically.</exception>
    [OverloadResolutionPriority(1)]
    public static ValueTask SetManyAsync<T>(this ICacheProvider cache, IEnumerable<KeyValuePair<string, T>> entries, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        Ttl.Validate(ttl);

        // A TTL past the last representable expiry never expires, as SetAsync stores it.
        var options = ttl is { } value && Ttl.ExpiresAt(value, Ttl.NowMs(TimeProvider.System)) is not null
            ? new CacheEntryOptions { AbsoluteExpirationRelativeToNow = value }
            : NoExpiry.Options;
        return SetMany(cache, entries, options, typeInfo, cancellationToken);
    }

    /// <summary>
    /// Stores every entry of <paramref name="entries"/> with the expiry, tags and fail-safe span of
    /// <paramref name="options"/>, replacing existing entries, in one transaction: all or none (see
    /// <see cref="SetManyAsync{T}(ICacheProvider, IEnumerable{KeyValuePair{string, T}}, TimeSpan?, CancellationToken)"/>).
    /// </summary>
    /// <typeparam name="T">The payload type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="entries">The keys and values.</param>
    /// <param name="options">The expiry, tags and fail-safe span of every entry (a relative expiration or a sliding window counts from the call).</param>
    /// <param name="cancellationToken">Cancels the call before the batch commits (on SQLite, while it waits for the writer or a busy database; on PostgreSQL, until its commit); a cancelled batch stores nothing.</param>
    /// <returns>A task that completes when the batch has committed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/>, <paramref name="entries"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key is <see langword="null"/> or empty, or holds a lone surrogate, or <paramref name="options"/> are invalid as for <see cref="ICacheProvider.SetAsync{T}(string, T, CacheEntryOptions, CancellationToken)"/>.</exception>
    /// <exception cref="NotSupportedException">The provider cannot store a batch atomically.</exception>
    public static ValueTask SetManyAsync<T>(this ICacheProvider cache, IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return SetManyAsync(cache, entries, options, PayloadResolver.Resolve<T>(cache.Payloads), cancellationToken);
    }

    /// <summary>
    /// Stores every entry of <paramref name="entries"/> with the expiry, tags and fail-safe span of
    /// <paramref name="options"/>, replacing existing entries, in one transaction: all or none (see
    /// <see cref="SetManyAsync{T}(ICacheProvider, IEnumerable{KeyValuePair{string, T}}, TimeSpan?, CancellationToken)"/>).
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="entries">The keys and values.</param>
    /// <param name="options">The expiry, tags and fail-safe span of every entry.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the call before the batch commits (on SQLite, while it waits for the writer or a busy database; on PostgreSQL, until its commit); a cancelled batch stores nothing.</param>
    /// <returns>A task that completes when the batch has committed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/>, <paramref name="entries"/>, <paramref name="options"/> or <paramref name="typeInfo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key is <see langword="null"/> or empty, or holds a lone surrogate, or <paramref name="options"/> are invalid.</exception>
    /// <exception cref="NotSupportedException">The provider cannot store a batch atomically.</exception>
    public static ValueTask SetManyAsync<T>(this ICacheProvider cache, IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SetMany(cache, entries, options, typeInfo, cancellationToken);
    }

    private static ValueTask SetMany<T>(ICacheProvider cache, IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (cache is not ICacheBatchStore store)
        {
            throw new NotSupportedException(
                $"{cache.GetType().Name} cannot store a batch in one transaction (it does not implement NativeAotPersistence.Backends.ICacheBatchStore); call SetAsync for each entry instead.");
        }

        // The caller's sequence runs here, on the caller's thread, never inside the transaction; the copy is ours.
        var copy = entries.ToArray();
        foreach (var entry in copy)
        {
            Keys.Validate(entry.Key, nameof(entries));
        }

        // An empty batch goes to the store too: the options are validated and a disconnected adapter answers as for any call.
        return store.SetManyAsync<T>(copy, options, typeInfo, cancellationToken);
    }

    /// <summary>The options of a batch without a TTL, made once (a nested class keeps it out of the extensions' static constructor).</summary>
    private static class NoExpiry
    {
        public static readonly CacheEntryOptions Options = new();
    }
}
