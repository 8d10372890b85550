namespace NativeAotPersistence;

/// <summary>
/// The read-through of <c>GetOrSetAsync</c>: a hit, or one factory run per key (in the process, and under a lease of the
/// store across processes), with fail-safe values, factory timeouts and eager refresh, for any
/// <see cref="ICacheEntryStore"/>; a provider that is not one gets the in-process single flight only.
/// </summary>
internal static partial class GetOrSet
{
    /// <summary>Lock keys with this prefix are reserved for the factory runs of GetOrSet.</summary>
    internal const string LeaseKeyPrefix = "nap.cache-factory:";

    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>One gate per (store, key) for the whole process.</summary>
    private static readonly KeyedGate s_gate = new();

    /// <summary>The gates of providers that are not <see cref="ICacheEntryStore"/>s, one per provider object.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ICacheProvider, KeyedGate> s_foreignGates = [];

    /// <summary>
    /// GetOrSet with a TTL and nothing else (the overloads without <see cref="GetOrSetOptions"/>): a hit, or one factory run
    /// per key in the adapter's scope. Kept apart from <see cref="RunAsync"/> so that a program that never passes options
    /// does not carry fail-safe, timeouts and eager refresh.
    /// </summary>
    public static async ValueTask<T> SimpleAsync<T>(
        ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        Ttl.Validate(ttl);
        var hit = await cache.TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (hit.Found)
        {
            return hit.Value!;
        }

        var store = cache as ICacheEntryStore;
        var leases = store?.DefaultLockScope == LockScope.Database ? store.DatabaseLeases : null;
        using (await EnterGateAsync(cache, key, cancellationToken).ConfigureAwait(false))
        {
            Lease? lease = null;
            try
            {
                var owner = leases is null ? null : LockOwners.New();
                var backoff = new Backoff(s_firstDelay, s_maxDelay);
                while (true)
                {
                    // Read before every attempt for the key's lease, and once more after getting it: the value another
                    // process stored while this one waited.
                    hit = await cache.TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
                    if (hit.Found)
                    {
                        return hit.Value!;
                    }

                    if (leases is null || lease is not null)
                    {
                        break;
                    }

                    lease = await Lease.AcquireAsync(leases, LeaseKeyPrefix + key, owner!, store!.FactoryLeaseTtl, autoRenew: true, cancellationToken).ConfigureAwait(false);
                    if (lease is null)
                    {
                        await Task.Delay(backoff.NextDelay(), cancellationToken).ConfigureAwait(false);
                    }
                }

                var value = await factory(cancellationToken).ConfigureAwait(false);
                try
                {
                    // Not once the lease is lost (this caller stalled past it, so another process may have run the factory
                    // and stored a newer value). The options path asks the store; here the lease's own renewal tells, which
                    // a process resumed just as its factory returns may not have heard yet: a narrow window, for less code.
                    if (lease?.HandleLost.IsCancellationRequested != true)
                    {
                        await cache.SetAsync(key, value, ttl, typeInfo, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (PersistenceException)
                {
                    // The value is the caller's either way; the next miss runs the factory again.
                    PersistenceTelemetry.CacheFactory("store_failed");
                }

                return value;
            }
            finally
            {
                if (lease is not null)
                {
                    await lease.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Releases a factory run's lease; a store that fails the release leaves it to expire (never fails the caller).</summary>
    internal static async ValueTask ReleaseAsync(Lease? lease)
    {
        if (lease is null)
        {
            return;
        }

        try
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }
        catch (PersistenceException)
        {
            PersistenceTelemetry.CacheFactory("release_failed");
        }
    }

    /// <summary>The in-process gate of (store, key): one per store identity for this library's providers, one per provider object otherwise.</summary>
    private static ValueTask<KeyedGate.Releaser> EnterGateAsync(ICacheProvider cache, string key, CancellationToken cancellationToken) =>
        cache is ICacheEntryStore store
            ? s_gate.EnterAsync(string.Concat(store.GateScope, "\0", key), cancellationToken)
            : s_foreignGates.GetValue(cache, static _ => new KeyedGate()).EnterAsync(key, cancellationToken);
}

