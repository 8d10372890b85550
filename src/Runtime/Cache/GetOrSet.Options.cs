namespace NativeAotPersistence;

/// <summary>GetOrSet with <see cref="GetOrSetOptions"/>: fail-safe answers, factory timeouts, lock timeout, eager refresh.</summary>
internal static partial class GetOrSet
{
    /// <summary>The longest timeout a timer takes (<see cref="uint.MaxValue"/> - 1 ms, about 49.7 days).</summary>
    private static TimeSpan MaxTimeout => TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    /// <summary>Entries either table of <see cref="Memory"/> keeps before it drops them all (a bound on memory, not a behavior).</summary>
    private const int MaxRemembered = 10_000;

    /// <summary>
    /// What the options path remembers per (store, key), in a class of its own so that a program that never passes
    /// options does not initialize (or, under NativeAOT, carry) it with <see cref="GetOrSet"/>'s other statics.
    /// </summary>
    private static class Memory
    {
        /// <summary>
        /// The version (its <c>created_at</c>) an eager refresh was started for in this process, so each stored version is
        /// refreshed at most once here, whatever its outcome (locked on itself).
        /// </summary>
        public static readonly Dictionary<string, long> Refreshed = new(StringComparer.Ordinal);

        /// <summary>
        /// Until when (Unix ms) a failed factory is not run again while the same stale value (its <c>created_at</c>) is
        /// served, and its error (locked on itself).
        /// </summary>
        public static readonly Dictionary<string, (long UntilMs, long StaleVersion, Exception Error)> Failures = new(StringComparer.Ordinal);
    }

    /// <summary>Validates the options before anything runs, so bad input never costs a factory run.</summary>
    public static void Validate(GetOrSetOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Entry is { } entry)
        {
            _ = CacheExpiry.From(entry, Ttl.NowMs(time));
            _ = CacheTags.Encode(entry);
            if (options.EagerRefreshThreshold is not null && entry.SlidingExpiration is not null)
            {
                throw new ArgumentException(
                    "GetOrSetOptions.EagerRefreshThreshold needs an absolute expiry: a sliding entry's lifetime moves with every read. Use AbsoluteExpirationRelativeToNow.",
                    nameof(options));
            }
        }

        if (options.LockTimeout != Timeout.InfiniteTimeSpan)
        {
            CheckTimeout(options.LockTimeout, "LockTimeout", ", or Timeout.InfiniteTimeSpan");
        }

        CheckTimeout(options.FactorySoftTimeout, "FactorySoftTimeout", "");
        CheckTimeout(options.FactoryHardTimeout, "FactoryHardTimeout", "");
        if (options.FactorySoftTimeout >= options.FactoryHardTimeout)
        {
            throw new ArgumentException("GetOrSetOptions.FactorySoftTimeout must be shorter than FactoryHardTimeout.", nameof(options));
        }

        if (options.FailSafeThrottleDuration < TimeSpan.Zero || options.FailSafeThrottleDuration > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FailSafeThrottleDuration, "GetOrSetOptions.FailSafeThrottleDuration must be zero or more (at most 49 days).");
        }

        if (options.EagerRefreshThreshold is { } threshold && !(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), threshold, "GetOrSetOptions.EagerRefreshThreshold must be between 0 and 1 (exclusive).");
        }

        if (options.Scope is { } scope && !Enum.IsDefined(scope))
        {
            throw new ArgumentOutOfRangeException(nameof(options), scope, "GetOrSetOptions.Scope must be LockScope.Process or LockScope.Database.");
        }

        static void CheckTimeout(TimeSpan? span, string name, string or)
        {
            if (span is { } value && (value <= TimeSpan.Zero || value > MaxTimeout))
            {
                throw new ArgumentOutOfRangeException(nameof(options), value, $"GetOrSetOptions.{name} must be positive and at most 49 days{or}.");
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
                StartRefresh(store, key, factory, options, typeInfo, read);
            }

            return new GetOrSetResult<T>(read.Value!, GetOrSetSource.Cache);
        }

        return await MissAsync(store, key, factory, options, typeInfo, read, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<GetOrSetResult<T>> MissAsync<T>(
        ICacheEntryStore store, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo,
        CacheEntryRead<T> stale, CancellationToken cancellationToken)
    {
        var time = store.TimeProvider;
        var id = string.Concat(store.GateScope, "\0", key);
        var leases = (options.Scope ?? store.DefaultLockScope) == LockScope.Database ? store.DatabaseLeases : null;

        // How long this caller waits for someone else's factory: the lock timeout, or less when a stale value can be
        // served after the soft timeout.
        var waitLimit = options.LockTimeout;
        if (stale.Found && options.FactorySoftTimeout is { } soft && (waitLimit == Timeout.InfiniteTimeSpan || soft < waitLimit))
        {
            waitLimit = soft;
        }

        CancellationTokenSource? waitTimeout = null;
        CancellationTokenSource? waitLinked = null;
        KeyedGate.Releaser? gate = null;
        Lease? lease = null;
        try
        {
            if (waitLimit != Timeout.InfiniteTimeSpan)
            {
                waitTimeout = new CancellationTokenSource(waitLimit, time);
                waitLinked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, waitTimeout.Token);
            }

            var waitToken = waitLinked?.Token ?? cancellationToken;
            try
            {
                gate = await s_gate.EnterAsync(id, waitToken).ConfigureAwait(false);
                var owner = leases is null ? null : LockOwners.New();
                var backoff = new Backoff(s_firstDelay, s_maxDelay);
                while (true)
                {
                    // A read before every attempt for the lease and once more after getting it, as in SimpleAsync.
                    var read = await store.ReadEntryAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
                    if (read.Found && !read.IsStale)
                    {
                        return new GetOrSetResult<T>(read.Value!, GetOrSetSource.Cache);
                    }

                    if (read.Found)
                    {
                        stale = read;
                    }

                    if (stale.Found && RecentFailure(id, time, stale.CreatedAtMs) is { } failure)
                    {
                        // The factory failed moments ago (in this process): the stale value, without running it again.
                        PersistenceTelemetry.CacheFactory("stale");
                        return Stale(stale, failure);
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
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && waitToken.IsCancellationRequested)
            {
                return StaleOrTimeout(key, stale, waitLimit);
            }

            // The run owns the gate and the lease from here, and ends them: now, or when a factory past its soft timeout finishes.
            var run = new FactoryRun<T>(store, id, key, options, typeInfo, lease, gate);
            lease = null;
            gate = null;
            return await run.RunAsync(factory, stale, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            waitLinked?.Dispose();
            waitTimeout?.Dispose();
            gate?.Dispose();
            await ReleaseAsync(lease).ConfigureAwait(false);
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

    /// <summary>The error of a factory run that failed within its throttle window while serving this stale version, or <see langword="null"/>.</summary>
    private static Exception? RecentFailure(string id, TimeProvider time, long staleVersion)
    {
        lock (Memory.Failures)
        {
            return Memory.Failures.TryGetValue(id, out var failure) && failure.StaleVersion == staleVersion && Ttl.NowMs(time) < failure.UntilMs ? failure.Error : null;
        }
    }

    /// <summary>Remembers a failed run that served a stale value, for <see cref="GetOrSetOptions.FailSafeThrottleDuration"/>.</summary>
    private static void RememberFailure<T>(string id, GetOrSetOptions options, TimeProvider time, Exception error, CacheEntryRead<T> stale)
    {
        if (options.FailSafeThrottleDuration <= TimeSpan.Zero || !stale.Found)
        {
            return;
        }

        lock (Memory.Failures)
        {
            if (Memory.Failures.Count >= MaxRemembered)
            {
                Memory.Failures.Clear();
            }

            Memory.Failures[id] = (Ttl.NowMs(time) + (long)options.FailSafeThrottleDuration.TotalMilliseconds, stale.CreatedAtMs, error);
        }
    }

    private static void ForgetFailure(string id)
    {
        lock (Memory.Failures)
        {
            Memory.Failures.Remove(id);
        }
    }

    private static bool IsDue<T>(CacheEntryRead<T> read, double threshold, TimeProvider time)
    {
        if (read.ExpiresAtMs is not { } expires)
        {
            return false;
        }

        var created = Math.Min(read.CreatedAtMs, expires);
        return Ttl.NowMs(time) >= created + (long)((expires - created) * threshold);
    }

    /// <summary>
    /// Refreshes a hot entry in the background: once per stored version in this process, and with
    /// <see cref="LockScope.Database"/> only if the key's lease is free at once.
    /// </summary>
    private static void StartRefresh<T>(
        ICacheEntryStore store, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, CacheEntryRead<T> read)
    {
        var id = string.Concat(store.GateScope, "\0", key);
        lock (Memory.Refreshed)
        {
            if (Memory.Refreshed.TryGetValue(id, out var version) && version == read.CreatedAtMs)
            {
                return;
            }

            if (Memory.Refreshed.Count >= MaxRemembered)
            {
                Memory.Refreshed.Clear();
            }

            Memory.Refreshed[id] = read.CreatedAtMs;
        }

        var expiresAtMs = read.ExpiresAtMs!.Value;
        _ = Task.Run(async () =>
        {
            try
            {
                PersistenceTelemetry.CacheFactory(await RefreshAsync(store, key, factory, options, typeInfo, read.CreatedAtMs, expiresAtMs).ConfigureAwait(false));
            }
            catch (Exception)
            {
                // The current value stays until its expiry (and the next miss runs the factory): counted, never thrown.
                PersistenceTelemetry.CacheFactory("refresh_failed");
            }
        });
    }

    private static async Task<string> RefreshAsync<T>(
        ICacheEntryStore store, string key, Func<CancellationToken, ValueTask<T>> factory, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, long createdAtMs, long expiresAtMs)
    {
        var time = store.TimeProvider;
        Lease? lease = null;
        if ((options.Scope ?? store.DefaultLockScope) == LockScope.Database)
        {
            lease = await Lease.AcquireAsync(store.DatabaseLeases, LeaseKeyPrefix + key, LockOwners.New(), store.FactoryLeaseTtl, autoRenew: true, CancellationToken.None).ConfigureAwait(false);
            if (lease is null)
            {
                return "refresh_skipped"; // another process runs the factory for this key right now
            }
        }

        try
        {
            var read = await store.ReadEntryAsync(key, typeInfo, CancellationToken.None).ConfigureAwait(false);
            if (read.Found && !read.IsStale && read.CreatedAtMs != createdAtMs)
            {
                return "refresh_skipped"; // stored again since the hit that asked for the refresh
            }

            // A refresh nobody waits for must not hold the key for ever: it gives up at the hard timeout, or when the
            // entry it refreshes expires (the next miss then runs the factory as usual).
            var limit = options.FactoryHardTimeout ?? TimeSpan.FromMilliseconds(Math.Clamp(expiresAtMs - Ttl.NowMs(time), 1, (long)MaxTimeout.TotalMilliseconds));
            using var cancel = new CancellationTokenSource(limit, time);
            var running = InvokeAsync(key, factory, cancel.Token).AsTask();
            await Task.WhenAny(running, Task.Delay(Timeout.Infinite, cancel.Token)).ConfigureAwait(false);
            if (!running.IsCompleted)
            {
                Observe(running);
                return "refresh_failed";
            }

            var value = await running.ConfigureAwait(false);
            return await StoreResultAsync(store, key, value, options, typeInfo, lease, time).ConfigureAwait(false) ? "refreshed" : "refresh_not_stored";
        }
        finally
        {
            await ReleaseAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores a factory's value unless the lease is no longer this caller's (checked on the store: another process may
    /// have stored a newer value) or the entry's absolute expiry passed while the factory ran. A store that fails does not
    /// fail the caller, who has the value. Returns whether it stored.
    /// </summary>
    private static async ValueTask<bool> StoreResultAsync<T>(ICacheProvider cache, string key, T value, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, Lease? lease, TimeProvider time)
    {
        try
        {
            if (lease is not null && !await lease.IsValidAsync(CancellationToken.None).ConfigureAwait(false))
            {
                PersistenceTelemetry.CacheFactory("lease_lost");
                return false;
            }

            if (options.Entry is not { } entry)
            {
                await cache.SetAsync(key, value, null, typeInfo, CancellationToken.None).ConfigureAwait(false);
                return true;
            }

            if (entry.AbsoluteExpiration is { } at && at <= time.GetUtcNow())
            {
                PersistenceTelemetry.CacheFactory("expired_before_stored");
                return false;
            }

            await cache.SetAsync(key, value, entry, typeInfo, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (PersistenceException)
        {
            PersistenceTelemetry.CacheFactory("store_failed");
            return false;
        }
    }

    private static async ValueTask<T> InvokeAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, CancellationToken cancellationToken)
    {
        using var activity = PersistenceTelemetry.StartActivity("nap.cache.factory");
        activity?.SetTag("nap.cache.key", key);
        return await factory(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Observes a factory run nobody waits for any more, so its failure is never an unobserved task exception.</summary>
    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

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
            await StoreResultAsync(cache, key, value, options, typeInfo, null, TimeProvider.System).ConfigureAwait(false);
            return new GetOrSetResult<T>(value, GetOrSetSource.Factory);
        }
    }

    /// <summary>
    /// One run of the factory: its timeouts, its fail-safe answer, and the gate and lease it holds until it ends (after a
    /// soft timeout, in the background, so that nobody else in the process or the fleet runs the factory meanwhile).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "_cancel has no timer to free, and an abandoned factory may still hold its token: it is left to the GC.")]
    private sealed class FactoryRun<T>(ICacheEntryStore store, string id, string key, GetOrSetOptions options, PayloadTypeInfo<T> typeInfo, Lease? lease, KeyedGate.Releaser? gate)
    {
        /// <summary>The factory's token: cancelled by the hard timeout, and by the caller's token until the run is handed off.</summary>
        private readonly CancellationTokenSource _cancel = new();

        /// <summary>Completes when the caller's token fires (a registration disposed with the run: a long-lived token keeps nothing).</summary>
        private readonly TaskCompletionSource _callerGone = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private int _handedOff;

        public async ValueTask<GetOrSetResult<T>> RunAsync(Func<CancellationToken, ValueTask<T>> factory, CacheEntryRead<T> stale, CancellationToken cancellationToken)
        {
            var time = store.TimeProvider;
            var ended = true;
            CancellationTokenSource? soft = null;
            CancellationTokenSource? hard = null;
            var registration = cancellationToken.Register(static s => ((FactoryRun<T>)s!).CancelUnlessHandedOff(), this);
            try
            {
                if (options.FactoryHardTimeout is { } hardLimit)
                {
                    hard = new CancellationTokenSource(hardLimit, time);
                    hard.Token.Register(static s => ((CancellationTokenSource)s!).Cancel(), _cancel);
                }

                if (stale.Found && options.FactorySoftTimeout is { } softLimit)
                {
                    soft = new CancellationTokenSource(softLimit, time);
                }

                var running = InvokeAsync(key, factory, _cancel.Token).AsTask();
                if (!running.IsCompleted)
                {
                    // Whichever ends first: the factory, the soft timeout (the stale value now, the factory goes on and
                    // stores), the hard timeout or the caller's token (the factory is abandoned: whatever it does later is
                    // not stored), without waiting on a factory that ignores its token.
                    var softTimedOut = soft is null ? null : Task.Delay(Timeout.Infinite, soft.Token);
                    var hardTimedOut = hard is null ? null : Task.Delay(Timeout.Infinite, hard.Token);
                    await Task.WhenAny(running, softTimedOut ?? running, hardTimedOut ?? running, _callerGone.Task).ConfigureAwait(false);
                    if (!running.IsCompleted)
                    {
                        Interlocked.Exchange(ref _handedOff, 1);
                        if (cancellationToken.IsCancellationRequested)
                        {
                            Observe(running);
                            cancellationToken.ThrowIfCancellationRequested();
                        }

                        if (hardTimedOut?.IsCompleted != true && softTimedOut?.IsCompleted == true)
                        {
                            ended = false;
                            _ = FinishInBackgroundAsync(running, hard, stale);
                            hard = null; // the background run owns it
                            PersistenceTelemetry.CacheFactory("stale");
                            return Stale(stale, new TimeoutException($"GetOrSet '{key}': the factory ran past GetOrSetOptions.FactorySoftTimeout ({softLimitMs():0} ms); it goes on in the background."));
                        }

                        // The hard timeout: the factory's token is cancelled (here, not only by the timer's callback, which
                        // may still be on its way) and whatever it does later is not stored.
                        _cancel.Cancel();
                        Observe(running);
                        return Failed(stale, HardTimeout(null));
                    }
                }

                T value;
                try
                {
                    value = await running.ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    return Failed(stale, e is OperationCanceledException && hard?.IsCancellationRequested == true ? HardTimeout(e) : e);
                }

                if (await StoreResultAsync(store, key, value, options, typeInfo, lease, time).ConfigureAwait(false))
                {
                    ForgetFailure(id);
                    PersistenceTelemetry.CacheFactory("stored");
                }

                return new GetOrSetResult<T>(value, GetOrSetSource.Factory);
            }
            finally
            {
                await registration.DisposeAsync().ConfigureAwait(false);
                soft?.Dispose();
                hard?.Dispose();
                if (ended)
                {
                    await EndAsync().ConfigureAwait(false);
                }
            }

            double softLimitMs() => options.FactorySoftTimeout!.Value.TotalMilliseconds;
        }

        /// <summary>A failed run: the stale value (and the failure remembered for the throttle), or the error.</summary>
        private GetOrSetResult<T> Failed(CacheEntryRead<T> stale, Exception error)
        {
            RememberFailure(id, options, store.TimeProvider, error, stale);
            if (stale.Found)
            {
                PersistenceTelemetry.CacheFactory("stale");
                return Stale(stale, error);
            }

            PersistenceTelemetry.CacheFactory(error is TimeoutException ? "timeout" : "failed");
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            return default; // unreachable
        }

        private TimeoutException HardTimeout(Exception? inner) => new(
            $"GetOrSet '{key}': the factory ran past GetOrSetOptions.FactoryHardTimeout ({options.FactoryHardTimeout!.Value.TotalMilliseconds:0} ms) and was cancelled; nothing was stored.",
            inner);

        private void CancelUnlessHandedOff()
        {
            _callerGone.TrySetResult();
            if (Volatile.Read(ref _handedOff) == 0)
            {
                _cancel.Cancel();
            }
        }

        private async Task FinishInBackgroundAsync(Task<T> running, CancellationTokenSource? hard, CacheEntryRead<T> stale)
        {
            try
            {
                await Task.WhenAny(running, hard is null ? running : Task.Delay(Timeout.Infinite, hard.Token)).ConfigureAwait(false);
                if (!running.IsCompleted)
                {
                    _cancel.Cancel();
                    Observe(running);
                    RememberFailure(id, options, store.TimeProvider, HardTimeout(null), stale);
                    PersistenceTelemetry.CacheFactory("failed_in_background");
                }
                else if (running.IsCompletedSuccessfully)
                {
                    if (await StoreResultAsync(store, key, running.Result, options, typeInfo, lease, store.TimeProvider).ConfigureAwait(false))
                    {
                        ForgetFailure(id);
                        PersistenceTelemetry.CacheFactory("stored_in_background");
                    }
                }
                else
                {
                    RememberFailure(id, options, store.TimeProvider, running.Exception?.InnerException ?? new TaskCanceledException(running), stale);
                    PersistenceTelemetry.CacheFactory("failed_in_background");
                }
            }
            catch (Exception e) when (e is ArgumentException or PayloadFormatException)
            {
                // A value that cannot be stored (too deep to read back): nobody to tell but the telemetry.
                PersistenceTelemetry.CacheFactory("failed_in_background");
            }
            finally
            {
                hard?.Dispose();
                await EndAsync().ConfigureAwait(false);
            }
        }

        /// <summary>Releases the gate and the lease (once the factory ended, or was given up on).</summary>
        private async ValueTask EndAsync()
        {
            gate?.Dispose();
            await ReleaseAsync(lease).ConfigureAwait(false);
        }
    }
}
