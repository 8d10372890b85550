using System.Threading.RateLimiting;

namespace NativeAotPersistence;

/// <summary>A <see cref="RateLimiter"/> over one key of an <see cref="IRateLimitStore"/>, deciding with one algorithm (see <see cref="PersistentRateLimiter"/>).</summary>
internal sealed class StoreRateLimiter : ReplenishingRateLimiter
{
    private static readonly RateLimitLease s_acquired = new StoreLease(true, null);
    private static readonly RateLimitLease s_refused = new StoreLease(false, null);

    private readonly IRateLimitStore _store;
    private readonly string _key;
    private readonly RateLimitAlgorithm _algorithm;
    private readonly int _queueLimit;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _sync = new();
    private long _successful;
    private long _failed;
    private int _queued;
    private int _available;
    private long _idleSince;

    public StoreRateLimiter(IRateLimitStore store, string key, RateLimitAlgorithm algorithm, int queueLimit)
    {
        (_store, _key, _algorithm, _queueLimit) = (store, key, algorithm, queueLimit);
        _available = algorithm.PermitLimit;
        _idleSince = store.Time.GetTimestamp();
    }

    /// <summary>Gets how long this limiter has had nobody queued and no acquisition: its state is in the store, so an idle instance may be dropped.</summary>
    public override TimeSpan? IdleDuration =>
        Volatile.Read(ref _queued) > 0 ? null : _store.Time.GetElapsedTime(Volatile.Read(ref _idleSince));

    public override bool IsAutoReplenishing => true;

    public override TimeSpan ReplenishmentPeriod => _algorithm.ReplenishmentPeriod;

    public override bool TryReplenish() => false;

    public override RateLimiterStatistics? GetStatistics()
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = Volatile.Read(ref _available),
            CurrentQueuedCount = Volatile.Read(ref _queued),
            TotalFailedLeases = Interlocked.Read(ref _failed),
            TotalSuccessfulLeases = Interlocked.Read(ref _successful),
        };
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Check(permitCount);
        var queued = Volatile.Read(ref _queued);
        var update = _store.UpdateAsync(_key, _algorithm, permitCount, CancellationToken.None);

        // Synchronous by contract: complete when the store did, else block on the store's update.
        var result = update.IsCompletedSuccessfully ? update.Result : update.AsTask().GetAwaiter().GetResult();
        return Lease(result, permitCount, queued);
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Check(permitCount);
        var queued = Volatile.Read(ref _queued);
        var result = await _store.UpdateAsync(_key, _algorithm, permitCount, cancellationToken).ConfigureAwait(false);
        // As the framework's limiters: a request for 0 permits waits (for one to be available) even without a queue.
        if (RateLimitAlgorithm.Acquired(result) || (_queueLimit == 0 && permitCount > 0))
        {
            return Lease(result, permitCount, queued);
        }

        lock (_sync)
        {
            if (_queued + permitCount > _queueLimit)
            {
                return Lease(result, permitCount, queued);
            }

            _queued += permitCount;
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            var backoff = new Backoff(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(250));
            while (true)
            {
                try
                {
                    // Never longer than the refusal's RetryAfter: the permits may be back by then.
                    var retryAfter = _algorithm.RetryAfterTicks(permitCount, RateLimitAlgorithm.Available(result), queued);
                    var delay = backoff.NextDelay(retryAfter > 0 ? TimeSpan.FromTicks(retryAfter) : TimeSpan.MaxValue);
                    await Task.Delay(delay, _store.Time, linked.Token).ConfigureAwait(false);
                    queued = Volatile.Read(ref _queued);
                    result = await _store.UpdateAsync(_key, _algorithm, permitCount, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Disposed while waiting: a refused lease, as the framework's limiters give their queue.
                    Interlocked.Increment(ref _failed);
                    return s_refused;
                }

                if (RateLimitAlgorithm.Acquired(result))
                {
                    return Lease(result, permitCount, queued);
                }
            }
        }
        finally
        {
            lock (_sync)
            {
                _queued -= permitCount;
            }

            _idleSince = _store.Time.GetTimestamp();
        }
    }

    protected override void Dispose(bool disposing)
    {
        // DisposeAsync ends here too (with disposing false): either way, the waiters are refused.
        if (!_disposed.IsCancellationRequested)
        {
            _disposed.Cancel();
        }

        base.Dispose(disposing);
    }

    private void Check(int permitCount)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (permitCount > _algorithm.PermitLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"{permitCount} permits exceed the limit of {_algorithm.PermitLimit}.");
        }
    }

    /// <summary>The lease for a store's result (see <see cref="RateLimitAlgorithm"/>), with the statistics it updates.</summary>
    private RateLimitLease Lease(long result, int permitCount, int queued)
    {
        var available = RateLimitAlgorithm.Available(result);
        Volatile.Write(ref _available, available);
        Volatile.Write(ref _idleSince, _store.Time.GetTimestamp());
        if (RateLimitAlgorithm.Acquired(result))
        {
            Interlocked.Increment(ref _successful);
            return s_acquired;
        }

        Interlocked.Increment(ref _failed);
        var retryAfter = _algorithm.RetryAfterTicks(permitCount, available, queued);
        return retryAfter < 0 ? s_refused : new StoreLease(false, TimeSpan.FromTicks(retryAfter));
    }

    /// <summary>
    /// A lease: acquired or not, with the refusal's <see cref="MetadataName.RetryAfter"/> when there is one; as the
    /// framework's leases, it names <see cref="MetadataName.RetryAfter"/> among its metadata whether or not it has it.
    /// </summary>
    private sealed class StoreLease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        private static readonly string[] s_retryAfter = [MetadataName.RetryAfter.Name];

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => s_retryAfter;

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } value && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = value;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
