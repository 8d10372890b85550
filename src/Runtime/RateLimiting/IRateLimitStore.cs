using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: what one rate-limit update returns: the key's new state, when it expires, and the caller's result.</summary>
/// <typeparam name="T">The caller's result.</typeparam>
/// <param name="state">The key's new state (the library's own short text).</param>
/// <param name="expiresAtMs">
/// When the state is worth no more than none (Unix ms): from then on the store passes <see langword="null"/> to the next
/// update, and pruning reclaims the row.
/// </param>
/// <param name="result">What the update returns to its caller.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1815", Justification = "Returned, never compared.")]
public readonly struct RateLimitUpdateResult<T>(string state, long expiresAtMs, T result)
{
    /// <summary>Gets the key's new state.</summary>
    public string State { get; } = state;

    /// <summary>Gets when the state expires (Unix ms).</summary>
    public long ExpiresAtMs { get; } = expiresAtMs;

    /// <summary>Gets what the update returns to its caller.</summary>
    public T Result { get; } = result;
}

/// <summary>Backend kit: one atomic read-modify-write of a rate-limit key's state.</summary>
/// <typeparam name="TState">The caller's state, passed through.</typeparam>
/// <typeparam name="T">The caller's result.</typeparam>
/// <param name="stored">The key's stored state, or <see langword="null"/> when it has none (or it expired).</param>
/// <param name="nowMs">The store's clock (Unix ms), read while the key is held.</param>
/// <param name="state">The caller's state.</param>
/// <returns>The new state, its expiry and the result.</returns>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate RateLimitUpdateResult<T> RateLimitUpdate<TState, T>(string? stored, long nowMs, TState state);

/// <summary>
/// Backend kit: the one primitive a backend gives the store-backed rate limiters (<see cref="PersistentRateLimiter"/>):
/// an atomic read-modify-write of one key's state. The algorithms are the library's, backend-independent; the backend
/// only makes each update one step for every process (or machine) on the store.
/// </summary>
/// <remarks>
/// The update callback is the library's own pure function (never user code): a backend may run it inside its write
/// transaction, and run it again when it retries that transaction.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IRateLimitStore
{
    /// <summary>Gets the adapter's clock.</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// In one transaction: reads <paramref name="key"/>'s state (<see langword="null"/> when absent or expired), reads the
    /// clock, calls <paramref name="update"/>, and stores the state and expiry it returns.
    /// </summary>
    /// <typeparam name="TState">The caller's state, passed through.</typeparam>
    /// <typeparam name="T">The caller's result.</typeparam>
    /// <param name="key">The caller's key, already validated.</param>
    /// <param name="state">Passed to <paramref name="update"/>.</param>
    /// <param name="update">The library's algorithm.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The update's result.</returns>
    ValueTask<T> UpdateAsync<TState, T>(string key, TState state, RateLimitUpdate<TState, T> update, CancellationToken cancellationToken);
}
