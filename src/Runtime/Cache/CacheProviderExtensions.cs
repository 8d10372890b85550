using System.Runtime.CompilerServices;

namespace NativeAotPersistence;

/// <summary>Read-through caching and batched writes for any <see cref="ICacheProvider"/>.</summary>
/// <remarks>
/// <para>
/// On a miss, one caller per key runs the factory and every other caller waits for its value: in this process, and with
/// <see cref="LockScope.Database"/> (the adapter's <see cref="PersistenceAdapterOptions.LockScope"/> unless
/// <see cref="GetOrSetOptions.Scope"/> says otherwise) in every process on the store, under a lease of the store named
/// <c>nap.cache-factory:</c> + the key (renewed while the factory runs). A runner that dies leaves its lease to expire
/// (<see cref="PersistenceAdapterOptions.DefaultLockTtl"/>), or to be taken over at once on the same host, and one waiter
/// runs the factory. A runner that stalls past its lease (a stopped process) may find another process ran the factory
/// too: it returns its own value to its caller but does not store it (the other process's value may be newer). Each
/// attempt for a held lease is a small write to the store; waiters retry with a backoff of 2 to 100 ms.
/// </para>
/// <para>
/// A factory that throws stores nothing: its exception reaches its caller (or, with a fail-safe value, see
/// <see cref="CacheEntryOptions.FailSafeMaxDuration"/>, the caller gets that value, marked stale), and the next call runs
/// the factory again. The factory runs on the caller's own flow (an eager refresh or a factory past its soft timeout
/// goes on as a thread-pool task), never on the store's writer thread.
/// </para>
/// </remarks>
public static partial class CacheProviderExtensions
{
    /// <summary>
    /// Returns the live value of <paramref name="key"/>, or runs <paramref name="factory"/> (one caller per key: see the
    /// remarks on <see cref="CacheProviderExtensions"/>), stores its result with <paramref name="ttl"/> and returns it.
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
    /// Returns the live value of <paramref name="key"/>, or runs <paramref name="factory"/> (one caller per key: see the
    /// remarks on <see cref="CacheProviderExtensions"/>), stores its result with <paramref name="ttl"/> and returns it.
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="ttl">How long a produced value lives; <see langword="null"/> for ever.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>; <see langword="null"/> resolves it through the cache's payload context.</param>
    /// <param name="cancellationToken">Passed to <paramref name="factory"/>; also cancels waiting.</param>
    public static ValueTask<T> GetOrSetAsync<T>(this ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl, PayloadTypeInfo<T>? typeInfo, CancellationToken cancellationToken = default) =>
        GetOrSet.SimpleAsync(Check(cache, key, factory), key, factory, ttl, typeInfo ?? PayloadResolver.Resolve<T>(cache.Payloads), cancellationToken);

    /// <summary>
    /// Returns the live value of <paramref name="key"/>, or runs <paramref name="factory"/> as <paramref name="options"/>
    /// say (one caller per key in the scope they name, a stored expiry, tags and fail-safe span, timeouts, eager refresh),
    /// stores its result and returns it. A stale fail-safe value is returned like any other;
    /// <see cref="GetOrSetResultAsync"/> tells it apart.
    /// </summary>
    /// <typeparam name="T">The value type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="options">How the value is produced and stored.</param>
    /// <param name="cancellationToken">Passed to <paramref name="factory"/>; also cancels waiting.</param>
    /// <exception cref="TimeoutException">The factory or the wait for another caller's factory timed out, and there was no fail-safe value.</exception>
    /// <exception cref="NotSupportedException">The provider is not one of this library's and the options need more than single flight in this process.</exception>
    [OverloadResolutionPriority(-1)] // GetOrSetAsync(key, factory, null) stays the TTL overload
    public static ValueTask<T> GetOrSetAsync<T>(this ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, CancellationToken cancellationToken = default) =>
        ValueOf(Start(cache, key, factory, options, null, cancellationToken));

    /// <inheritdoc cref="GetOrSetAsync{T}(ICacheProvider, string, Func{CancellationToken, ValueTask{T}}, GetOrSetOptions, CancellationToken)"/>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="options">How the value is produced and stored.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>; <see langword="null"/> resolves it through the cache's payload context.</param>
    /// <param name="cancellationToken">Passed to <paramref name="factory"/>; also cancels waiting.</param>
    [OverloadResolutionPriority(-1)]
    public static ValueTask<T> GetOrSetAsync<T>(this ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T>? typeInfo, CancellationToken cancellationToken = default) =>
        ValueOf(Start(cache, key, factory, options, typeInfo, cancellationToken));

    /// <summary>
    /// As <see cref="GetOrSetAsync{T}(ICacheProvider, string, Func{CancellationToken, ValueTask{T}}, GetOrSetOptions, CancellationToken)"/>,
    /// and says where the value came from: the cache, this call's factory, or a stale fail-safe value (with the error that
    /// made it stale).
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="options">How the value is produced and stored.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>; <see langword="null"/> resolves it through the cache's payload context.</param>
    /// <param name="cancellationToken">Passed to <paramref name="factory"/>; also cancels waiting.</param>
    /// <returns>The value and where it came from.</returns>
    /// <exception cref="TimeoutException">The factory or the wait for another caller's factory timed out, and there was no fail-safe value.</exception>
    /// <exception cref="NotSupportedException">The provider is not one of this library's and the options need more than single flight in this process.</exception>
    public static ValueTask<GetOrSetResult<T>> GetOrSetResultAsync<T>(this ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T>? typeInfo = null, CancellationToken cancellationToken = default) =>
        Start(cache, key, factory, options, typeInfo, cancellationToken);

    private static ValueTask<GetOrSetResult<T>> Start<T>(ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T>? typeInfo, CancellationToken cancellationToken)
    {
        Check(cache, key, factory);
        ArgumentNullException.ThrowIfNull(options);
        return GetOrSet.RunAsync(cache, key, factory, options, typeInfo ?? PayloadResolver.Resolve<T>(cache.Payloads), cancellationToken);
    }

    private static ICacheProvider Check<T>(ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory)
    {
        ArgumentNullException.ThrowIfNull(cache);
        Keys.Validate(key);
        ArgumentNullException.ThrowIfNull(factory);
        return cache;
    }

    private static ValueTask<T> ValueOf<T>(ValueTask<GetOrSetResult<T>> task) =>
        task.IsCompletedSuccessfully ? new ValueTask<T>(task.Result.Value) : AwaitValueAsync(task);

    private static async ValueTask<T> AwaitValueAsync<T>(ValueTask<GetOrSetResult<T>> task) => (await task.ConfigureAwait(false)).Value;
}
