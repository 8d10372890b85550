using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Caching.Distributed;
using NativeAotPersistence.Extensions.Internal;

namespace NativeAotPersistence;

/// <summary>
/// An <see cref="IDistributedCache"/> over an <see cref="ICacheProvider"/>: values are <see cref="byte"/> arrays stored
/// as the built-in base64 JSON string, with absolute and sliding expiry (<see cref="CacheEntryOptions"/>), so every
/// process sharing the SQLite file or the PostgreSQL server sees one cache. Works as <c>HybridCache</c>'s second level.
/// </summary>
/// <remarks>
/// Keys are the provider's keys (under the adapter's <see cref="PersistenceAdapterOptions.KeyPrefix"/>), so
/// <see cref="ICacheProvider.KeysAsync"/> and <see cref="ICacheProvider.ClearAsync"/> see these entries too. Reads and
/// <see cref="Refresh"/> renew sliding entries, never past their absolute expiry. The synchronous members block on the
/// asynchronous ones, started without the caller's <see cref="SynchronizationContext"/> so they cannot deadlock on it.
/// As an <see cref="IBufferDistributedCache"/> (which HybridCache prefers), a read decodes the stored value straight into
/// the caller's buffer: on a SQLite hit it allocates nothing else. A write from a <see cref="ReadOnlySequence{T}"/>
/// copies it into one array unless it is a single whole array already.
/// </remarks>
/// <param name="cache">The provider that stores the entries, usually <see cref="IPersistenceAdapter.Cache"/>.</param>
public sealed class PersistenceDistributedCache(ICacheProvider cache) : IDistributedCache, IBufferDistributedCache
{
    private readonly ICacheProvider _cache = cache ?? throw new ArgumentNullException(nameof(cache));

    /// <inheritdoc />
    public byte[]? Get(string key) => SyncOverAsync.Run((Self: this, key), static s => s.Self.GetCoreAsync(s.key, CancellationToken.None));

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => GetCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) =>
        SyncOverAsync.Run((Self: this, key, value, options), static s => s.Self.SetCoreAsync(s.key, s.value, s.options, CancellationToken.None));

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        SetCoreAsync(key, value, options, token).AsTask();

    /// <inheritdoc />
    public void Refresh(string key) => SyncOverAsync.Run((Self: this, key), static s => s.Self.RefreshCoreAsync(s.key, CancellationToken.None));

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default) => RefreshCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    public void Remove(string key) => SyncOverAsync.Run((Self: this, key), static s => s.Self.RemoveCoreAsync(s.key, CancellationToken.None));

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default) => RemoveCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    public bool TryGet(string key, IBufferWriter<byte> destination) =>
        SyncOverAsync.Run((Self: this, key, destination), static s => s.Self.TryGetAsync(s.key, s.destination, CancellationToken.None));

    /// <inheritdoc />
    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        var payload = BufferReadPayload.Rent(destination);
        var read = _cache.TryGetAsync(key, payload, token);
        if (read.IsCompletedSuccessfully)
        {
            var found = read.Result.Found;
            BufferReadPayload.Return(payload);
            return new ValueTask<bool>(found);
        }

        return AwaitFoundAsync(read);
    }

    /// <inheritdoc />
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        Set(key, ToArray(value), options);

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        SetCoreAsync(key, ToArray(value), options, token);

    // A single segment that is a whole array is stored as it is; anything else is copied into one array.
    private static byte[] ToArray(ReadOnlySequence<byte> value) =>
        value.IsSingleSegment && MemoryMarshal.TryGetArray(value.First, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();

    private static async ValueTask<bool> AwaitFoundAsync(ValueTask<CacheLookup<byte[]?>> read) =>
        (await read.ConfigureAwait(false)).Found;

    private ValueTask<byte[]?> GetCoreAsync(string key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _cache.GetAsync<byte[]>(key, token);
    }

    private ValueTask SetCoreAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        return _cache.SetAsync(key, value, ToEntryOptions(options), token);
    }

    private async ValueTask RefreshCoreAsync(string key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _cache.RefreshAsync(key, token).ConfigureAwait(false);
    }

    private async ValueTask RemoveCoreAsync(string key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _cache.DeleteAsync(key, token).ConfigureAwait(false);
    }

    // The same model on both sides; the core validates it as DistributedCacheEntryOptions' setters do.
    private static CacheEntryOptions ToEntryOptions(DistributedCacheEntryOptions options) => new()
    {
        AbsoluteExpiration = options.AbsoluteExpiration,
        AbsoluteExpirationRelativeToNow = options.AbsoluteExpirationRelativeToNow,
        SlidingExpiration = options.SlidingExpiration,
    };
}
