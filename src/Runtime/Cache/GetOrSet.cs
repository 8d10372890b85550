namespace NativeAotPersistence;

/// <summary>
/// The read-through of <c>GetOrSetAsync</c>: a hit, or one factory run per key (in the process, and under a lease of the
/// store across processes), with fail-safe values, factory timeouts and eager refresh, for any
/// <see cref="ICacheEntryStore"/>; a provider that is not one gets the in-process single flight only.
/// </summary>
internal static class GetOrSet
{
    /// <summary>Lock keys with this prefix are reserved for the factory runs of GetOrSet.</summary>
    internal const string LeaseKeyPrefix = "nap.cache-factory:";

    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>One gate per (store, key) for the whole process.</summary>
    private static readonly KeyedGate s_gate = new();

    /// <summary>The (store, key) pairs with an eager refresh running in this process (locked on itself).</summary>
    private static readonly HashSet<string> s_refreshing = new(StringComparer.Ordinal);

    /// <summary>The gates of providers that are not <see cref="ICacheEntryStore"/>s, one per provider object.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ICacheProvider, KeyedGate> s_foreignGates = [];

    /// <summary>Validates the options before anything runs, so bad input never costs a factory run.</summary>
    public static void Validate(GetOrSetOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Entry is { } entry)
        {
            _ = CacheExpiry.From(entry, Ttl.NowMs(time));
            _ = CacheTags.Encode(entry);
        }

        if (options.LockTimeout <= TimeSpan.Zero && options.LockTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LockTimeout, "GetOrSetOptions.LockTimeout must be positive, or Timeout.InfiniteTimeSpan.");
        }

        Positive(options.FactorySoftTimeout, "FactorySoftTimeout");
        Positive(options.FactoryHardTimeout, "FactoryHardTimeout");
        if (options.EagerRefreshThreshold is { } threshold && !(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), threshold, "GetOrSetOptions.EagerRefreshThreshold must be between 0 and 1 (exclusive).");
        }

        if (options.Scope is { } scope && !Enum.IsDefined(scope))
        {
            throw new ArgumentOutOfRangeException(nameof(options), scope, "GetOrSetOptions.Scope must be LockScope.Process or LockScope.Database.");
        }

        static void Positive(TimeSpan? span, string name)
        {
            if (span is { } value && (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan))
            {
                throw new ArgumentOutOfRangeException(nameof(options), value, $"GetOrSetOptions.{name} must be positive and finite.");
            }
        }
    }

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
                if (lease is null || await lease.IsValidAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    // Not once the lease is no longer this caller's (it stalled past it, so another process may have run the
                    // factory and stored a newer value): checked on the store, not by the renewal's timer, which may be late.
                    await cache.SetAsync(key, value, ttl, typeInfo, CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>GetOrSet with options: see <see cref="GetOrSetOptions"/>.</summary>
    public static async ValueTask<GetOrSetResult<T>> RunAsync<T>(
        ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        if (cache is not ICacheEntryStore store)
        {
            return await ForeignAsync(cache, key, factory, options, typeInfo, cancellationToken).ConfigureAwait(false);
        }

        Validate(options, store.TimeProvider);
        var read = await store.ReadEntryAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (read.Found && !read.IsStale)
        {
            if (options.EagerRefreshThreshold is { } threshold && IsDue(read, threshold, store.TimeProvider))
            {
                StartRefresh(store, key, factory, options, typeInfo, read.CreatedAtMs);
            }

            return new GetOrSetResult<T>(read.Value!, GetOrSetSource.Cache);
        }

        return await MissAsync(store, key, factory, options, typeInfo, read, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The in-process gate of (store, key): one per store identity for this library's providers, one per provider object otherwise.</summary>
    private static ValueTask<KeyedGate.Releaser> EnterGateAsync(ICacheProvider cache, string key, CancellationToken cancellationToken) =>
        cache is ICacheEntryStore store
            ? s_gate.EnterAsync(string.Concat(store.GateScope, "\0", key), cancellationToken)
            : s_foreignGates.GetValue(cache, static _ => new KeyedGate()).EnterAsync(key, cancellationToken);

    private static async ValueTask<GetOrSetResult<T>> MissAsync<T>(
        ICacheEntryStore store, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo,
        CacheEntryRead<T> stale, CancellationToken cancellationToken)
    {
        var time = store.TimeProvider;
        var leases = (options.Scope ?? store.DefaultLockScope) == LockScope.Database ? store.DatabaseLeases : null;

        // How long this caller waits for someone else's factory: the lock timeout, or less when a stale value can be
        // served after the soft timeout.
        var waitLimit = options.LockTimeout;
        if (stale.Found && options.FactorySoftTimeout is { } soft && (waitLimit == Timeout.InfiniteTimeSpan || soft < waitLimit))
        {
            waitLimit = soft;
        }

        using var waitTimeout = waitLimit == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(waitLimit, time);
        using var waitLinked = waitTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, waitTimeout.Token);
        var waitToken = waitLinked?.Token ?? cancellationToken;

        Lease? lease = null;
        try
        {
            using (await EnterGateAsync(store, key, waitToken).ConfigureAwait(false))
            {
                var owner = leases is null ? null : LockOwners.New();
                var backoff = new Backoff(s_firstDelay, s_maxDelay);
                while (true)
                {
                    // As in SimpleAsync: a read before every attempt for the lease and once more after getting it.
                    var read = await store.ReadEntryAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
                    if (read.Found && !read.IsStale)
                    {
                        return new GetOrSetResult<T>(read.Value!, GetOrSetSource.Cache);
                    }

                    if (read.Found)
                    {
                        stale = read;
                    }

                    if (leases is null || lease is not null)
                    {
                        break;
                    }

                    lease = await Lease.AcquireAsync(leases, LeaseKeyPrefix + key, owner!, store.FactoryLeaseTtl, autoRenew: true, cancellationToken).ConfigureAwait(false);
                    if (lease is null)
                    {
                        await Task.Delay(backoff.NextDelay(), waitToken).ConfigureAwait(false);
                    }
                }

                var run = new FactoryRun<T>(store, key, options, typeInfo, lease);
                lease = null; // the run releases it, now or, after a soft timeout, in the background
                return await run.RunAsync(factory, stale, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && waitToken.IsCancellationRequested)
        {
            return StaleOrTimeout(key, stale, waitLimit);
        }
        finally
        {
            if (lease is not null)
            {
                await lease.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static GetOrSetResult<T> StaleOrTimeout<T>(string key, CacheEntryRead<T> stale, TimeSpan waited)
    {
        var error = new TimeoutException(
            $"GetOrSet '{key}' waited {waited.TotalMilliseconds:0} ms for another caller's factory to store a value (GetOrSetOptions.LockTimeout or FactorySoftTimeout).");
        if (!stale.Found)
        {
            PersistenceTelemetry.CacheFactory("lock_timeout");
            throw error;
        }

        PersistenceTelemetry.CacheFactory("stale");
        return Stale(stale, error);
    }

    private static GetOrSetResult<T> Stale<T>(CacheEntryRead<T> stale, Exception error) =>
        new(stale.Value!, GetOrSetSource.Stale, error, stale.ExpiresAtMs is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);

    private static bool IsDue<T>(CacheEntryRead<T> read, double threshold, TimeProvider time)
    {
        if (read.ExpiresAtMs is not { } expires)
        {
            return false;
        }

        var created = Math.Min(read.CreatedAtMs, expires);
        return Ttl.NowMs(time) >= created + (long)((expires - created) * threshold);
    }

    /// <summary>Refreshes a hot entry in the background once per (store, key) in this process, under the key's lease when it gets it at once.</summary>
    private static void StartRefresh<T>(
        ICacheEntryStore store, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, long createdAtMs)
    {
        var id = string.Concat(store.GateScope, "\0", key);
        lock (s_refreshing)
        {
            if (!s_refreshing.Add(id))
            {
                return;
            }
        }

        _ = Task.Run(async () =>
        {
            try
            {
                PersistenceTelemetry.CacheFactory(await RefreshAsync(store, key, factory, options, typeInfo, createdAtMs).ConfigureAwait(false));
            }
            catch (Exception)
            {
                // The current value stays until its expiry (and the next miss runs the factory): counted, never thrown.
                PersistenceTelemetry.CacheFactory("refresh_failed");
            }
            finally
            {
                lock (s_refreshing)
                {
                    s_refreshing.Remove(id);
                }
            }
        });
    }

    private static async Task<string> RefreshAsync<T>(
        ICacheEntryStore store, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, long createdAtMs)
    {
        Lease? lease = null;
        if ((options.Scope ?? store.DefaultLockScope) == LockScope.Database)
        {
            lease = await Lease.AcquireAsync(store.DatabaseLeases, LeaseKeyPrefix + key, LockOwners.New(), store.FactoryLeaseTtl, autoRenew: true, CancellationToken.None).ConfigureAwait(false);
            if (lease is null)
            {
                return "refresh_skipped"; // another process runs the factory for this key right now
            }
        }

        await using (lease)
        {
            var read = await store.ReadEntryAsync(key, typeInfo, CancellationToken.None).ConfigureAwait(false);
            if (read.Found && !read.IsStale && read.CreatedAtMs != createdAtMs)
            {
                return "refresh_skipped"; // stored again since the hit that asked for the refresh
            }

            using var hard = options.FactoryHardTimeout is { } limit ? new CancellationTokenSource(limit, store.TimeProvider) : null;
            var value = await InvokeAsync(key, factory, hard?.Token ?? CancellationToken.None).ConfigureAwait(false);
            await StoreAsync(store, key, value, options, typeInfo).ConfigureAwait(false);
            return "refreshed";
        }
    }

    private static ValueTask StoreAsync<T>(ICacheProvider cache, string key, T value, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo) =>
        options.Entry is { } entry
            ? cache.SetAsync(key, value, entry, typeInfo, CancellationToken.None)
            : cache.SetAsync(key, value, null, typeInfo, CancellationToken.None);

    private static async ValueTask<T> InvokeAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, CancellationToken cancellationToken)
    {
        using var activity = PersistenceTelemetry.StartActivity("nap.cache.factory");
        activity?.SetTag("nap.cache.key", key);
        return await factory(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A provider that is not an <see cref="ICacheEntryStore"/>: single flight in this process, nothing more.</summary>
    private static async ValueTask<GetOrSetResult<T>> ForeignAsync<T>(
        ICacheProvider cache, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        Validate(options, TimeProvider.System);
        if (options.Scope == LockScope.Database || options.EagerRefreshThreshold is not null || options.FactorySoftTimeout is not null
            || options.FactoryHardTimeout is not null || options.LockTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new NotSupportedException(
                $"The cache provider {cache.GetType().Name} does not implement ICacheEntryStore, so GetOrSet can only run its factory once per key in this process: " +
                "Scope = Database, EagerRefreshThreshold, factory timeouts and LockTimeout need a provider of this library.");
        }

        var hit = await cache.TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (hit.Found)
        {
            return new GetOrSetResult<T>(hit.Value!, GetOrSetSource.Cache);
        }

        using (await EnterGateAsync(cache, key, cancellationToken).ConfigureAwait(false))
        {
            hit = await cache.TryGetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
            if (hit.Found)
            {
                return new GetOrSetResult<T>(hit.Value!, GetOrSetSource.Cache);
            }

            var value = await InvokeAsync(key, factory, cancellationToken).ConfigureAwait(false);
            await StoreAsync(cache, key, value, options, typeInfo).ConfigureAwait(false);
            return new GetOrSetResult<T>(value, GetOrSetSource.Factory);
        }
    }

    /// <summary>One run of the factory: its timeouts, its fail-safe, and its lease, which it releases when it ends.</summary>
    private sealed class FactoryRun<T>(ICacheEntryStore store, string key, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, Lease? lease)
    {
        public async ValueTask<GetOrSetResult<T>> RunAsync(Func<CancellationToken, ValueTask<T>> factory, CacheEntryRead<T> stale, CancellationToken cancellationToken)
        {
            var hard = options.FactoryHardTimeout is { } limit ? new CancellationTokenSource(limit, store.TimeProvider) : null;
            var linked = hard is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hard.Token);
            var background = false;
            try
            {
                var running = InvokeAsync(key, factory, linked?.Token ?? cancellationToken).AsTask();
                if (stale.Found && options.FactorySoftTimeout is { } soft && !running.IsCompleted)
                {
                    using var softTimeout = new CancellationTokenSource(soft, store.TimeProvider);
                    var timedOut = Task.Delay(Timeout.InfiniteTimeSpan, softTimeout.Token);
                    if (await Task.WhenAny(running, timedOut).ConfigureAwait(false) != running && !cancellationToken.IsCancellationRequested)
                    {
                        // Serve the stale value now; the factory goes on and stores its result when it finishes.
                        background = true;
                        _ = FinishInBackgroundAsync(running, hard, linked);
                        PersistenceTelemetry.CacheFactory("stale");
                        return Stale(stale, new TimeoutException($"GetOrSet '{key}': the factory ran past GetOrSetOptions.FactorySoftTimeout ({soft.TotalMilliseconds:0} ms); it goes on in the background."));
                    }
                }

                T value;
                try
                {
                    value = await running.ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    var error = e is OperationCanceledException && hard?.IsCancellationRequested == true
                        ? new TimeoutException($"GetOrSet '{key}': the factory ran past GetOrSetOptions.FactoryHardTimeout ({options.FactoryHardTimeout!.Value.TotalMilliseconds:0} ms) and was cancelled; nothing was stored.", e)
                        : null;
                    if (stale.Found)
                    {
                        PersistenceTelemetry.CacheFactory("stale");
                        return Stale(stale, error ?? e);
                    }

                    PersistenceTelemetry.CacheFactory(error is null ? "failed" : "timeout");
                    if (error is not null)
                    {
                        throw error;
                    }

                    throw;
                }

                PersistenceTelemetry.CacheFactory(await StoreUnlessLostAsync(value).ConfigureAwait(false) ? "stored" : "lease_lost");
                return new GetOrSetResult<T>(value, GetOrSetSource.Factory);
            }
            finally
            {
                if (!background)
                {
                    linked?.Dispose();
                    hard?.Dispose();
                    if (lease is not null)
                    {
                        await lease.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }

        /// <summary>Stores the factory's value unless the lease was lost meanwhile (another process may have stored a newer one).</summary>
        private async ValueTask<bool> StoreUnlessLostAsync(T value)
        {
            if (lease is not null && !await lease.IsValidAsync(CancellationToken.None).ConfigureAwait(false))
            {
                return false;
            }

            await StoreAsync(store, key, value, options, typeInfo).ConfigureAwait(false);
            return true;
        }

        private async Task FinishInBackgroundAsync(Task<T> running, CancellationTokenSource? hard, CancellationTokenSource? linked)
        {
            try
            {
                var value = await running.ConfigureAwait(false);
                PersistenceTelemetry.CacheFactory(await StoreUnlessLostAsync(value).ConfigureAwait(false) ? "stored_in_background" : "lease_lost");
            }
            catch (Exception)
            {
                PersistenceTelemetry.CacheFactory("failed_in_background");
            }
            finally
            {
                linked?.Dispose();
                hard?.Dispose();
                if (lease is not null)
                {
                    await lease.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
