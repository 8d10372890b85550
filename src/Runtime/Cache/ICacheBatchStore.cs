using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a cache provider that stores many entries in one transaction, all or none, for
/// <see cref="CacheProviderExtensions.SetManyAsync{T}(ICacheProvider, IEnumerable{KeyValuePair{string, T}}, TimeSpan?, CancellationToken)"/>.
/// A provider that does not implement it makes <c>SetManyAsync</c> throw <see cref="NotSupportedException"/>: a batch is
/// never stored piecemeal.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ICacheBatchStore : ICacheProvider
{
    /// <summary>
    /// Stores every entry of <paramref name="entries"/> with the expiry and tags of <paramref name="options"/>, replacing
    /// existing entries, in one transaction: when it completes every entry is stored; when it throws none is. A key that
    /// appears twice ends with its last value.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="entries">The entries, keys already validated; the caller's own copy, which the provider may keep until it completes.</param>
    /// <param name="options">The expiry, tags and fail-safe span of every entry; validated here.</param>
    /// <param name="typeInfo">The serializer.</param>
    /// <param name="cancellationToken">Cancels the call before the batch commits; a cancelled batch stores nothing.</param>
    /// <returns>A task that completes when the transaction has committed.</returns>
    ValueTask SetManyAsync<T>(ReadOnlyMemory<KeyValuePair<string, T>> entries, CacheEntryOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken);
}
