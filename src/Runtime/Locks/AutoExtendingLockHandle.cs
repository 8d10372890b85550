namespace NativeAotPersistence;

/// <summary>
/// Renews a held lock every third of its TTL until released. A renewal that fails or finds the lock gone fires
/// <see cref="HandleLost"/> (through the inner handle) and stops renewing: never a silent stop.
/// </summary>
internal sealed class AutoExtendingLockHandle : ILockHandle
{
    private readonly ILockHandle _inner;
    private readonly TimeSpan _ttl;
    private readonly CancellationTokenSource _lost = new();
    private readonly ITimer _timer;
    private int _renewing;
    private int _stopped;

    public AutoExtendingLockHandle(ILockHandle inner, TimeSpan ttl, TimeProvider time)
    {
        _inner = inner;
        _ttl = ttl;
        inner.HandleLost.UnsafeRegister(static s => ((AutoExtendingLockHandle)s!).Stop(), this);
        var period = ttl / 3 > TimeSpan.FromMilliseconds(1) ? ttl / 3 : TimeSpan.FromMilliseconds(1);
        _timer = time.CreateTimer(static s => ((AutoExtendingLockHandle)s!).Renew(), this, period, period);
    }

    public string Key => _inner.Key;

    public string Owner => _inner.Owner;

    public long FencingToken => _inner.FencingToken;

    public CancellationToken HandleLost => _lost.Token;

    /// <summary>Gets whether a renewal is under way (for tests that must not advance time in the middle of one).</summary>
    internal bool IsRenewing => Volatile.Read(ref _renewing) != 0;

    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        Stop();
        await _inner.ReleaseAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken = default) => _inner.ExtendAsync(ttl, cancellationToken);

    public ValueTask<bool> IsValidAsync(CancellationToken cancellationToken = default) => _inner.IsValidAsync(cancellationToken);

    public ValueTask DisposeAsync() => ReleaseAsync(CancellationToken.None);

    private void Renew()
    {
        if (Volatile.Read(ref _stopped) != 0 || Interlocked.Exchange(ref _renewing, 1) != 0)
        {
            return;
        }

        ValueTask<bool> renewal;
        try
        {
            renewal = _inner.ExtendAsync(_ttl);
        }
        catch (Exception)
        {
            Lose();
            return;
        }

        if (renewal.IsCompleted)
        {
            Completed(renewal);
        }
        else
        {
            renewal.AsTask().ContinueWith(
                static (t, s) => ((AutoExtendingLockHandle)s!).Completed(new ValueTask<bool>(t)),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void Completed(ValueTask<bool> renewal)
    {
        bool extended;
        try
        {
            extended = renewal.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            extended = false;
        }

        Volatile.Write(ref _renewing, 0);
        if (!extended)
        {
            Lose();
        }
    }

    private void Lose()
    {
        Stop();
        if (!_lost.IsCancellationRequested)
        {
            _lost.Cancel();
        }
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _timer.Dispose();
        }

        if (!_lost.IsCancellationRequested)
        {
            _lost.Cancel();
        }
    }
}
