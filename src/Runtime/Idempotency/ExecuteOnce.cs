namespace NativeAotPersistence;

/// <summary>
/// The check-run-store of <see cref="IIdempotencyProvider.ExecuteOnceAsync{T}(string, TimeSpan?, Func{CancellationToken, ValueTask{T}}, PayloadTypeInfo{T}, CancellationToken)"/>
/// for any backend: a per-key gate in process and, with <see cref="LockScope.Database"/>, a stored lock around it so
/// other processes wait too. The lock is renewed while the action runs.
/// </summary>
internal static class ExecuteOnce
{
    /// <summary>Lock keys with this prefix are reserved for ExecuteOnce.</summary>
    public const string LockKeyPrefix = "nap.execute-once:";

    public static async ValueTask<T> RunAsync<T>(
        IIdempotencyProvider provider,
        KeyedGate gate,
        ILockProvider? databaseLocks,
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

        var hit = await provider.GetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            return hit.Value;
        }

        using (await gate.EnterAsync(key, cancellationToken).ConfigureAwait(false))
        {
            if (databaseLocks is null)
            {
                return await CheckRunStoreAsync(provider, key, ttl, action, typeInfo, cancellationToken).ConfigureAwait(false);
            }

            var handle = await AcquireAsync(databaseLocks, LockKeyPrefix + key, cancellationToken).ConfigureAwait(false);
            await using (handle.ConfigureAwait(false))
            {
                using var renewal = new LockRenewal(handle, databaseLocks.DefaultTtl);
                return await CheckRunStoreAsync(provider, key, ttl, action, typeInfo, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask<T> CheckRunStoreAsync<T>(
        IIdempotencyProvider provider, string key, TimeSpan? ttl, Func<CancellationToken, ValueTask<T>> action, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var hit = await provider.GetAsync(key, typeInfo, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            return hit.Value;
        }

        // A failure propagates and nothing is stored, so the next call runs the action again.
        using var activity = PersistenceTelemetry.StartActivity("nap.execute_once");
        activity?.SetTag("nap.idempotency.key", key);
        var result = await action(cancellationToken).ConfigureAwait(false);
        await provider.SetAsync(key, result, ttl, typeInfo, CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    private static async ValueTask<ILockHandle> AcquireAsync(ILockProvider locks, string lockKey, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            var handle = await locks.AcquireAsync(lockKey, locks.DefaultTtl, owner: null, cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                return handle;
            }

            await Task.Delay(delay * (0.5 + (Random.Shared.NextDouble() * 0.5)), cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
        }
    }

    /// <summary>Extends a lock every third of its TTL (real time) until disposed.</summary>
    private sealed class LockRenewal : IDisposable
    {
        private readonly Timer _timer;
        private readonly ILockHandle _handle;
        private readonly TimeSpan _ttl;

        public LockRenewal(ILockHandle handle, TimeSpan ttl)
        {
            _handle = handle;
            _ttl = ttl;
            var period = ttl / 3;
            _timer = new Timer(static s => ((LockRenewal)s!).Renew(), this, period, period);
        }

        public void Dispose() => _timer.Dispose();

        // A failed renewal is observed and dropped: the next tick tries again.
        private void Renew() =>
            _handle.ExtendAsync(_ttl).AsTask().ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }
}
