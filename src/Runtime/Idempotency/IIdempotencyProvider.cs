namespace NativeAotPersistence;

/// <summary>Stores the results of operations by idempotency key, so an operation runs at most once per live record.</summary>
public interface IIdempotencyProvider
{
    /// <summary>Gets the live record of <paramref name="key"/>, or <see langword="null"/>.</summary>
    /// <typeparam name="T">The result type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets the live record of <paramref name="key"/>, or <see langword="null"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The idempotency key.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IdempotencyRecord<T>?> GetAsync<T>(string key, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> as the record of <paramref name="key"/>, replacing any.</summary>
    /// <typeparam name="T">The result type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The idempotency key.</param>
    /// <param name="value">The result.</param>
    /// <param name="ttl">How long the record lives; <see langword="null"/> for ever.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> as the record of <paramref name="key"/>, replacing any.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The idempotency key.</param>
    /// <param name="value">The result.</param>
    /// <param name="ttl">How long the record lives; <see langword="null"/> for ever.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Removes the record of <paramref name="key"/>.</summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns><see langword="true"/> if a live record was removed.</returns>
    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the stored result of <paramref name="key"/> without running <paramref name="action"/>; otherwise runs it
    /// once, even under concurrent callers (across processes with <see cref="LockScope.Database"/>, the default, under a
    /// renewed lease), stores its result and returns it. A failure is never stored, and a hit does not slide the TTL.
    /// </summary>
    /// <remarks>
    /// Every caller gets one answer: should the action's lease be lost (its process stalled past
    /// <see cref="PersistenceAdapterOptions.DefaultLockTtl"/>, a renewal failed), the token passed to the action fires, a
    /// result is stored only if none is stored yet, and every caller returns the stored result. A result nested deeper
    /// than 64 levels cannot be stored: the caller gets an <see cref="ArgumentException"/> and the key stays free.
    /// </remarks>
    /// <typeparam name="T">The result type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="key">The idempotency key.</param>
    /// <param name="ttl">How long the stored result lives; <see langword="null"/> for ever.</param>
    /// <param name="action">The operation.</param>
    /// <param name="cancellationToken">Passed to <paramref name="action"/>; also cancels waiting.</param>
    ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the stored result of <paramref name="key"/> without running <paramref name="action"/>; otherwise runs it
    /// once, even under concurrent callers (across processes with <see cref="LockScope.Database"/>, the default, under a
    /// renewed lease), stores its result and returns it. A failure is never stored, and a hit does not slide the TTL.
    /// </summary>
    /// <remarks>
    /// Every caller gets one answer: should the action's lease be lost (its process stalled past
    /// <see cref="PersistenceAdapterOptions.DefaultLockTtl"/>, a renewal failed), the token passed to the action fires, a
    /// result is stored only if none is stored yet, and every caller returns the stored result. A result nested deeper
    /// than 64 levels cannot be stored: the caller gets an <see cref="ArgumentException"/> and the key stays free.
    /// </remarks>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The idempotency key.</param>
    /// <param name="ttl">How long the stored result lives; <see langword="null"/> for ever.</param>
    /// <param name="action">The operation.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Passed to <paramref name="action"/>; also cancels waiting.</param>
    ValueTask<T> ExecuteOnceAsync<T>(string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);
}
