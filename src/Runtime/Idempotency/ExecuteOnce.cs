using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: what <see cref="ExecuteOnce"/> needs of an idempotency provider beyond its public members: a store that
/// keeps the first result, and the identity of the store the provider writes to. A backend's idempotency provider
/// implements it and answers <c>ExecuteOnceAsync</c> with <see cref="ExecuteOnce.RunAsync"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IIdempotencyStore : IIdempotencyProvider
{
    /// <summary>
    /// Gets the identity of the store and namespace (backend, database file or server, key prefix), so that every
    /// adapter of this process on the same store shares one in-process gate per key.
    /// </summary>
    string GateScope { get; }

    /// <summary>
    /// Stores <paramref name="value"/> only if no live record exists for <paramref name="key"/>, and returns the record
    /// that is stored afterwards: this value, or the one stored first. Atomic on the store: of two concurrent calls
    /// (in any process), both return the same record.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="key">The caller's key, already validated.</param>
    /// <param name="value">The result to store.</param>
    /// <param name="ttl">The record's TTL, already validated (see <see cref="Ttl.ExpiresAt"/>).</param>
    /// <param name="typeInfo">The result's serializer.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store (<see cref="ExecuteOnce"/> passes <see cref="CancellationToken.None"/>).</param>
    /// <returns>The stored result.</returns>
    ValueTask<T> StoreFirstAsync<T>(string key, T value, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken);
}

/// <summary>
/// Backend kit: the check-run-store of <see cref="IIdempotencyProvider.ExecuteOnceAsync{T}(string, TimeSpan?, Func{CancellationToken, ValueTask{T}}, PayloadTypeInfo{T}, CancellationToken)"/>
/// for any backend, with one answer for every caller.
/// </summary>
/// <remarks>
/// <para>
/// In process, one gate per key and store (not per adapter object), so two adapters on one file never both run the
/// action. With <see cref="LockScope.Database"/>, the action also runs under a lease of the store (a lock, renewed
/// while it runs), so other processes wait. When that lease is lost (the process stalled past the TTL, a renewal
/// failed), the action's token fires; a result is stored only if none is stored yet (the first stored result wins), and
/// every caller, including one whose action ran on regardless, returns the stored result. An action cancelled by the
/// loss of its lease goes back to waiting for the result (or runs again, should nobody have stored one).
/// </para>
/// <para>
/// A failure is never stored: the exception reaches the caller and the next call runs again. A result that cannot be
/// stored (too deep to read back) fails its caller with <see cref="ArgumentException"/> and stores nothing.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ExecuteOnce
{
    /// <summary>Lock keys with this prefix are reserved for ExecuteOnce.</summary>
    internal const string LockKeyPrefix = "nap.execute-once:";

    /// <summary>An action cancelled by the loss of its lease this many times fails its caller instead of running again.</summary>
    internal const int MaxLeaseLosses = 3;

    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>One gate per (store, key) for the whole process.</summary>
    private static readonly KeyedGate s_gate = new();

    /// <summary>
    /// Returns the result stored under <paramref name="key"/>, or runs <paramref name="action"/> once (in this process,
    /// and under a lease of <paramref name="leases"/> in every process sharing the store) and stores its result.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="store">The backend's idempotency provider.</param>
    /// <param name="leases">
    /// The backend's <see cref="LockScope.Database"/> lease store, so other processes wait for the action; <see langword="null"/>
    /// with <see cref="LockScope.Process"/>, where the in-process gate is enough.
    /// </param>
    /// <param name="leaseTtl">The lease's TTL (the adapter's <see cref="PersistenceAdapterOptions.DefaultLockTtl"/>); the lease is renewed while the action runs.</param>
    /// <param name="key">The caller's key (validated here).</param>
    /// <param name="ttl">The record's TTL (validated here).</param>
    /// <param name="action">The action to run at most once per stored result.</param>
    /// <param name="typeInfo">The result's serializer.</param>
    /// <param name="cancellationToken">Cancels the waits and the action.</param>
    /// <returns>The stored result: this action's, or the one stored first.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a valid key, or the result cannot be stored.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> or <paramref name="typeInfo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is not positive.</exception>
    /// <exception cref="PersistenceException">The store failed, or the lease was lost three times while the action ran (<see cref="PersistenceErrorKind.Busy"/>).</exception>
    public static async ValueTask<T> RunAsync<T>(
        IIdempotencyStore store,
        ILeaseStore? leases,
        TimeSpan leaseTtl,
        string key,
        TimeSpan? ttl,
        Func<CancellationToken, ValueTask<T>> action,
        PayloadTypeInfo<T> typeInfo,
        CancellationToken cancellationToken)
    {
        Keys.Validate(key);
        Ttl.Validate(ttl);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(typeInfo);

        var hit = await store.GetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            return hit.Value;
        }

        using (await s_gate.EnterAsync(string.Concat(store.GateScope, "\0", key), cancellationToken).ConfigureAwait(false))
        {
            var losses = 0;
            while (true)
            {
                hit = await store.GetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
                if (hit is not null)
                {
                    return hit.Value;
                }

                if (leases is null)
                {
                    var result = await RunActionAsync(key, action, cancellationToken).ConfigureAwait(false);
                    return await store.StoreFirstAsync(key, result, ttl, typeInfo, CancellationToken.None).ConfigureAwait(false);
                }

                var lease = await AcquireAsync(leases, LockKeyPrefix + key, leaseTtl, cancellationToken).ConfigureAwait(false);
                await using (lease.ConfigureAwait(false))
                {
                    // Another process may have stored the result while this one waited for the lease.
                    hit = await store.GetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
                    if (hit is not null)
                    {
                        return hit.Value;
                    }

                    T result;
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.HandleLost))
                    {
                        try
                        {
                            result = await RunActionAsync(key, action, linked.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException e) when (lease.HandleLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                        {
                            // The lease was lost while the action ran: whoever holds the key now runs it, or has stored
                            // its result. Wait for that answer (or run again, should nobody have stored one), a few times.
                            if (++losses == MaxLeaseLosses)
                            {
                                throw new PersistenceException(
                                    $"ExecuteOnce '{key}' lost its lease {MaxLeaseLosses} times while the action ran (each lease of {leaseTtl.TotalMilliseconds:0} ms " +
                                    "was not renewed in time), so it stopped; nothing was stored. Check what stalls this process or the database, or use a longer lock TTL.",
                                    PersistenceErrorKind.Busy,
                                    "idempotency.execute_once",
                                    leases.DataSource,
                                    innerException: e);
                            }

                            continue;
                        }
                    }

                    // Even when the lease was lost meanwhile: stored only if nobody stored first, and every caller
                    // returns what is stored.
                    return await store.StoreFirstAsync(key, result, ttl, typeInfo, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    private static async ValueTask<T> RunActionAsync<T>(string key, Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken)
    {
        using var activity = PersistenceTelemetry.StartActivity("nap.execute_once");
        activity?.SetTag("nap.idempotency.key", key);
        return await action(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the key's lease (auto-renewed while the action runs), polling with backoff.</summary>
    private static async ValueTask<Lease> AcquireAsync(ILeaseStore leases, string lockKey, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var owner = LockOwners.New();
        var backoff = new Backoff(s_firstDelay, s_maxDelay);
        while (true)
        {
            var lease = await Lease.AcquireAsync(leases, lockKey, owner, ttl, autoRenew: true, cancellationToken).ConfigureAwait(false);
            if (lease is not null)
            {
                return lease;
            }

            await Task.Delay(backoff.NextDelay(), cancellationToken).ConfigureAwait(false);
        }
    }
}
