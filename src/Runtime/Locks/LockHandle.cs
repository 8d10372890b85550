namespace NativeAotPersistence;

/// <summary>
/// A held lock, the same for every backend: it extends and checks itself through the public provider and releases
/// through <see cref="ILockReleaser"/>. <see cref="HandleLost"/> is created on first use, so handles nobody watches
/// cost no timer.
/// </summary>
internal sealed class LockHandle : ILockHandle
{
    private const long MaxTimerDueMs = uint.MaxValue - 1;

    private readonly ILockProvider _provider;
    private readonly ILockReleaser _releaser;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private long _expiresAtMs;
    private bool _released;
    private CancellationTokenSource? _lost;
    private ITimer? _expiryTimer;

    public LockHandle(ILockProvider provider, ILockReleaser releaser, TimeProvider time, string key, string owner, long fencingToken, long expiresAtMs)
    {
        _provider = provider;
        _releaser = releaser;
        _time = time;
        Key = key;
        Owner = owner;
        FencingToken = fencingToken;
        _expiresAtMs = expiresAtMs;
    }

    public string Key { get; }

    public string Owner { get; }

    public long FencingToken { get; }

    public CancellationToken HandleLost
    {
        get
        {
            lock (_sync)
            {
                if (_lost is null)
                {
                    _lost = new CancellationTokenSource();
                    if (_released || Ttl.NowMs(_time) >= _expiresAtMs)
                    {
                        _lost.Cancel();
                    }
                    else
                    {
                        _expiryTimer = _time.CreateTimer(static s => ((LockHandle)s!).OnExpiryTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                        ScheduleExpiryTimer();
                    }
                }

                return _lost.Token;
            }
        }
    }

    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (_released)
            {
                return;
            }

            _released = true;
        }

        try
        {
            await _releaser.ReleaseAsync(Key, Owner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            MarkLost();
        }
    }

    public async ValueTask<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _released))
        {
            return false;
        }

        var now = Ttl.NowMs(_time);
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        var extended = await _provider.ExtendAsync(Key, ttl, Owner, cancellationToken).ConfigureAwait(false);
        if (!extended)
        {
            MarkLost();
            return false;
        }

        lock (_sync)
        {
            _expiresAtMs = expiresAt;
            ScheduleExpiryTimer();
        }

        return true;
    }

    public async ValueTask<bool> IsValidAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _released))
        {
            return false;
        }

        var info = await _provider.GetInfoAsync(Key, cancellationToken).ConfigureAwait(false);
        var valid = info is not null && string.Equals(info.Owner, Owner, StringComparison.Ordinal);
        if (!valid)
        {
            MarkLost();
        }

        return valid;
    }

    public ValueTask DisposeAsync() => ReleaseAsync(CancellationToken.None);

    /// <summary>Fires <see cref="HandleLost"/> and stops the expiry timer.</summary>
    internal void MarkLost()
    {
        CancellationTokenSource? lost;
        lock (_sync)
        {
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            lost = _lost;
            _lost ??= CreateCancelled();
        }

        if (lost is not null && !lost.IsCancellationRequested)
        {
            if (!_released)
            {
                PersistenceTelemetry.LockLost();
                if (PersistenceEvents.IsEnabled)
                {
                    PersistenceEvents.LockLost(new PersistenceLockLost(Key, Owner, FencingToken));
                }
            }

            lost.Cancel();
        }
    }

    private static CancellationTokenSource CreateCancelled()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private void ScheduleExpiryTimer()
    {
        if (_expiryTimer is null)
        {
            return;
        }

        // System timers cannot be due later than ~49.7 days: a longer lock wakes up early and re-schedules.
        var due = TimeSpan.FromMilliseconds(Math.Clamp(_expiresAtMs - Ttl.NowMs(_time), 0, MaxTimerDueMs));
        _expiryTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void OnExpiryTimer()
    {
        lock (_sync)
        {
            if (Ttl.NowMs(_time) < _expiresAtMs)
            {
                ScheduleExpiryTimer();
                return;
            }
        }

        // This handle's own expiry passed, but the same owner may have renewed the lock through another handle
        // (a re-entrant acquire): ask the store before declaring the lock lost.
        ValueTask<LockInfo?> lookup;
        try
        {
            lookup = _provider.GetInfoAsync(Key);
        }
        catch (Exception)
        {
            MarkLost();
            return;
        }

        if (lookup.IsCompleted)
        {
            OnHolderKnown(lookup);
        }
        else
        {
            lookup.AsTask().ContinueWith(
                static (t, s) => ((LockHandle)s!).OnHolderKnown(new ValueTask<LockInfo?>(t)),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void OnHolderKnown(ValueTask<LockInfo?> lookup)
    {
        LockInfo? holder;
        try
        {
            holder = lookup.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            holder = null;
        }

        if (holder is not null && string.Equals(holder.Owner, Owner, StringComparison.Ordinal) && holder.ExpiresAt.ToUnixTimeMilliseconds() > Ttl.NowMs(_time))
        {
            lock (_sync)
            {
                _expiresAtMs = holder.ExpiresAt.ToUnixTimeMilliseconds();
                ScheduleExpiryTimer();
            }

            return;
        }

        MarkLost();
    }
}
