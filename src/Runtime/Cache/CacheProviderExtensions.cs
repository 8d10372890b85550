using System.Runtime.CompilerServices;

namespace NativeAotPersistence;

/// <summary>Read-through caching for any <see cref="ICacheProvider"/>.</summary>
public static class CacheProviderExtensions
{
    private static readonly ConditionalWeakTable<ICacheProvider, KeyedGate> s_gates = [];

    /// <summary>
    /// Returns the live value of <paramref name="key"/>, or runs <paramref name="factory"/>, stores its result with
    /// <paramref name="ttl"/> and returns it. Concurrent misses of one key in this process run the factory once and
    /// all get its result; a factory that throws stores nothing.
    /// </summary>
    /// <typeparam name="T">The value type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="ttl">How long a produced value lives; <see langword="null"/> for ever.</param>
    /// <param name="cancellationToken">Passed to <paramref name="factory"/>; also cancels waiting.</param>
    public static ValueTask<T> GetOrSetAsync<T>(this ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        GetOrSetAsync(cache, key, factory, ttl, typeInfo: null, cancellationToken);

    /// <summary>
    /// Returns the live value of <paramref name="key"/>, or runs <paramref name="factory"/>, stores its result with
    /// <paramref name="ttl"/> and returns it. Concurrent misses of one key in this process run the factory once and
    /// all get its result; a factory that throws stores nothing.
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="ttl">How long a produced value lives; <see langword="null"/> for ever.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>; <see langword="null"/> resolves it through the cache's payload context.</param>
    /// <param name="cancellationToken">Passed to <paramref name="factory"/>; also cancels waiting.</param>
    public static async ValueTask<T> GetOrSetAsync<T>(this ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl, PayloadTypeInfo<T>? typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(factory);
        Ttl.Validate(ttl);
        typeInfo ??= PayloadResolver.Resolve<T>(cache.Payloads);

        var hit = await cache.TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (hit.Found)
        {
            return hit.Value!;
        }

        using (await s_gates.GetValue(cache, static _ => new KeyedGate()).EnterAsync(key, cancellationToken).ConfigureAwait(false))
        {
            hit = await cache.TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
            if (hit.Found)
            {
                return hit.Value!;
            }

            var value = await factory(cancellationToken).ConfigureAwait(false);
            await cache.SetAsync(key, value, ttl, typeInfo, CancellationToken.None).ConfigureAwait(false);
            return value;
        }
    }
}
