using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a held lease, the one implementation behind every lock handle, auto-renewed lock and ExecuteOnce: its expiry as
/// the store granted it, renewal on the store's clock, and loss detection that fires <see cref="HandleLost"/>.
/// </summary>
/// <remarks>
/// <para>
/// A lease counts from its grant: the store reads the clock inside the granting statement, and a grant that would be
/// handed over already expired (or, when renewed, already due for renewal) is renewed at once or granted again, never
/// returned. A lease that is not renewed automatically is lost at its expiry, unless the store shows the same owner
/// renewed it through another handle (a re-entrant acquisition).
/// </para>
/// <para>
/// An auto-renewed lease is renewed a third of its TTL after each grant, and the renewal must be through before two
/// thirds have passed. When it is not (a busy database, a stalled connection), the lease is given up then, a third of
/// the TTL before any other owner could take the key, so <see cref="HandleLost"/> fires while the lease still holds. A
/// renewal that completes after that releases the key again. A renewal that fails, or finds the key no longer held,
/// loses the lease at once. Every loss is reported (<see cref="PersistenceEvents"/>, with its reason and error).
/// </para>
/// <para>
/// Every renewal, release and lookup names the grant's fencing token, so nothing a lease sends late reaches a later
/// grant, not even one to the same owner. Re-entrant handles (one owner, one live row) share the token and the row: a
/// release by any of them releases it, as the lock contract says.
/// </para>
/// <para>
/// A backend gets one from <see cref="AcquireAsync"/> over its <see cref="ILeaseStore"/> and returns it as the
/// <see cref="ILockHandle"/> of <see cref="ILockProvider.AcquireAsync"/>.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class Lease : ILockHandle
{
    private const int MaxGrantAttempts = 8;

    /// <summary>The shortest TTL an auto-renewed lease may have: thirds of a millisecond cannot be scheduled.</summary>
    internal const long MinRenewedTtlMs = 3;
    private const long MaxTimerDueMs = uint.MaxValue - 1;

    private readonly ILeaseStore _store;
    private readonly TimeProvider _time;
    private readonly bool _autoRenew;
    private readonly Lock _sync = new();

    // The expiry the store last confirmed, and the TTL it was granted with (which sets the renewal window).
    private long _expiresAtMs;
    private long _grantedTtlMs;

    // The TTL the next renewal asks for: the acquisition's, or the one of the last ExtendAsync.
    private long _renewTtlMs;
    private LeaseState _state;

    // A renewal (the timer's or an ExtendAsync of an auto-renewed lease) is under way; they never overlap, so the
    // expiry adopted is the one the store wrote last.
    private bool _renewing;
    private TaskCompletionSource? _renewed;
    private CancellationTokenSource? _lost;
    private ITimer? _timer;

    private Lease(ILeaseStore store, string key, string owner, long fencingToken, long expiresAtMs, long ttlMs, bool autoRenew)
    {
        _store = store;
        _time = store.Time;
        Key = key;
        Owner = owner;
        FencingToken = fencingToken;
        _expiresAtMs = expiresAtMs;
        _grantedTtlMs = ttlMs;
        _renewTtlMs = ttlMs;
        _autoRenew = autoRenew;
    }

    private enum LeaseState
    {
        Held,
        Released,
        Lost,
    }

    /// <inheritdoc/>
    public string Key { get; }

    /// <inheritdoc/>
    public string Owner { get; }

    /// <inheritdoc/>
    public long FencingToken { get; }

    /// <summary>Gets whether the lease renews itself.</summary>
    internal bool IsAutoRenewed => _autoRenew;

    /// <summary>Gets whether a renewal is under way (for tests that must not advance a fake clock in the middle of one).</summary>
    internal bool IsRenewing
    {
        get
        {
            lock (_sync)
            {
                return _renewing;
            }
        }
    }

    /// <summary>Gets the expiry as this process last knew it from the store, in Unix milliseconds.</summary>
    internal long ExpiresAtMs
    {
        get
        {
            lock (_sync)
            {
                return _expiresAtMs;
            }
        }
    }

    /// <inheritdoc/>
    public CancellationToken HandleLost
    {
        get
        {
            lock (_sync)
            {
                if (_lost is null)
                {
                    // Created on first use for a lease nobody renews, so handles nobody watches cost no timer.
                    _lost = new CancellationTokenSource();
                    if (_state != LeaseState.Held)
                    {
                        _lost.Cancel();
                    }
                    else
                    {
                        ScheduleLocked();
                    }
                }

                return _lost.Token;
            }
        }
    }

    /// <summary>
    /// Acquires a lease of <paramref name="ttl"/> on <paramref name="key"/> for <paramref name="owner"/>, once: never
    /// handed over expired (see the remarks on <see cref="Lease"/>).
    /// </summary>
    /// <param name="store">The backend's lease store.</param>
    /// <param name="key">The caller's key, already validated (<see cref="Keys.Validate"/>).</param>
    /// <param name="owner">The owner, already validated (<see cref="LockOwners.Validate"/>, which also turns a caller's <see langword="null"/> into a generated owner).</param>
    /// <param name="ttl">The lease's TTL (validated here: <see cref="Ttl.ValidateLock"/>; an auto-renewed lease needs at least 3 ms).</param>
    /// <param name="autoRenew">
    /// Whether the lease renews itself a third of its TTL after each grant until released; <see langword="false"/> for
    /// the handle of <see cref="ILockProvider.AcquireAsync"/>, which the caller extends.
    /// </param>
    /// <param name="cancellationToken">Cancels the acquisition; a lease granted meanwhile is released.</param>
    /// <returns>The lease, or <see langword="null"/> when another owner holds the key.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is not a valid lock TTL.</exception>
    /// <exception cref="PersistenceException">The store failed, or every grant had ended before it could be handed over (<see cref="PersistenceErrorKind.Busy"/>).</exception>
    public static async ValueTask<Lease?> AcquireAsync(
        ILeaseStore store, string key, string owner, TimeSpan ttl, bool autoRenew, CancellationToken cancellationToken)
    {
        var ttlMs = autoRenew ? ValidateRenewedTtl(ttl) : Ttl.ValidateLock(ttl);

        // Whether this acquisition created the row it holds (a re-entrant grant renewed a row another handle may use).
        var ownsRow = false;
        for (var attempt = 1; ; attempt++)
        {
            var grant = await store.GrantAsync(key, owner, ttlMs, cancellationToken).ConfigureAwait(false);
            if (grant.Token == 0)
            {
                return null;
            }

            ownsRow |= !grant.Reentrant;

            if (grant.TookOverFrom is { } previous)
            {
                ReportTakeover(key, previous, owner, grant.Token);
            }

            var lease = new Lease(store, key, owner, grant.Token, grant.ExpiresAtMs, ttlMs, autoRenew);
            bool started;
            try
            {
                started = await lease.TryStartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled, or the renewal of a late grant failed: the key is ours, so give it back now (unless
                // another handle of the same owner holds it too).
                lease.ReleaseGranted(ownsRow);
                throw;
            }

            if (started)
            {
                return lease;
            }

            if (attempt == MaxGrantAttempts)
            {
                lease.ReleaseGranted(ownsRow);
                throw new PersistenceException(
                    $"The lock '{key}' was granted {MaxGrantAttempts} times, but each lease of {ttlMs} ms had ended (or was due for renewal) before " +
                    "it could be handed over. Use a TTL well above the time an acquisition takes on this store.",
                    PersistenceErrorKind.Busy,
                    "lock.acquire",
                    store.DataSource);
            }
        }
    }

    /// <summary>Validates the TTL of an auto-renewed lease (a lock TTL of at least <see cref="MinRenewedTtlMs"/>); returns it in milliseconds.</summary>
    internal static long ValidateRenewedTtl(TimeSpan ttl, string paramName = "ttl")
    {
        var ttlMs = Ttl.ValidateLock(ttl, paramName);
        if (ttlMs < MinRenewedTtlMs)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                ttl,
                $"An auto-renewed lock needs a TTL of at least {MinRenewedTtlMs} ms: it is renewed a third of its TTL after each grant, and that renewal must be through before two thirds have passed.");
        }

        return ttlMs;
    }

    /// <summary>
    /// Wraps a handle of a lock provider this library did not write, so that it renews (and is lost) like any lease.
    /// </summary>
    internal static Lease Wrap(ILockProvider locks, ILockHandle inner, TimeProvider time, long grantedAtMs, TimeSpan ttl)
    {
        var ttlMs = ValidateRenewedTtl(ttl);
        var lease = new Lease(new ForeignLeaseStore(locks, inner, time), inner.Key, inner.Owner, inner.FencingToken, Ttl.LockExpiresAt(ttlMs, grantedAtMs), ttlMs, autoRenew: true);
        lease.Start();

        // Last, once the lease is whole: a registration on a token already cancelled runs at once.
        inner.HandleLost.UnsafeRegister(static s => ((Lease)s!).Lose(LockLossReason.NotHeld, null, fromCaller: false), lease);
        return lease;
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        long onlyIfExpiresAt;
        TaskCompletionSource? waiters;
        lock (_sync)
        {
            if (_state == LeaseState.Released)
            {
                return;
            }

            // Held: the row of this grant (its token) goes. Lost or past its expiry: only as this lease last knew it (a
            // renewal given up as overdue may still have gone through), never a later grant to the same owner.
            onlyIfExpiresAt = _state == LeaseState.Lost || Ttl.NowMs(_time) >= _expiresAtMs ? _expiresAtMs : 0;
            _state = LeaseState.Released;
            StopTimerLocked();
            waiters = TakeWaitersLocked();
        }

        waiters?.TrySetResult();
        try
        {
            await _store.ReleaseAsync(Key, Owner, FencingToken, onlyIfExpiresAt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CancelLost(fromCaller: true);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var ttlMs = _autoRenew ? ValidateRenewedTtl(ttl) : Ttl.ValidateLock(ttl);

        // Take the renewal slot (waiting out the timer's renewal, or another extension), so the expiry adopted is the
        // store's last; an auto-renewed lease's later renewals ask for this TTL.
        while (true)
        {
            Task wait;
            lock (_sync)
            {
                if (_state != LeaseState.Held)
                {
                    return false;
                }

                if (!_renewing)
                {
                    _renewing = true;
                    RescheduleLocked();
                    break;
                }

                _renewed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _renewed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        long renewed;
        try
        {
            renewed = await _store.RenewAsync(Key, Owner, FencingToken, ttlMs, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The caller sees the error; the lease stays as it was (the timer renews it again, or gives it up).
            EndRenewal(0, ttlMs, e, fromCaller: true, keepOnError: true);
            throw;
        }

        return EndRenewal(renewed, ttlMs, null, fromCaller: true, keepOnError: true);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> IsValidAsync(CancellationToken cancellationToken = default)
    {
        if (!IsHeld)
        {
            return false;
        }

        var heldUntil = await _store.HeldUntilAsync(Key, Owner, FencingToken, cancellationToken).ConfigureAwait(false);
        if (heldUntil > Ttl.NowMs(_time))
        {
            return IsHeld;
        }

        Lose(LockLossReason.NotHeld, null, fromCaller: true);
        return false;
    }

    /// <summary>Releases the lease, as <see cref="ReleaseAsync"/> does.</summary>
    /// <returns>The release.</returns>
    public ValueTask DisposeAsync() => ReleaseAsync(CancellationToken.None);

    private bool IsHeld
    {
        get
        {
            lock (_sync)
            {
                return _state == LeaseState.Held;
            }
        }
    }

    private static void ReportTakeover(string key, string previousOwner, string owner, long token)
    {
        PersistenceTelemetry.LockTakenOver();
        if (PersistenceEvents.IsEnabled)
        {
            PersistenceEvents.LockTakenOver(new PersistenceLockTakenOver(key, previousOwner, owner, token));
        }
    }

    /// <summary>The renewal due time and the time by which it must be through, for an auto-renewed lease.</summary>
    private (long Due, long Deadline) RenewalWindowLocked()
    {
        var third = _grantedTtlMs / 3;
        return (_expiresAtMs - (_grantedTtlMs - third), _expiresAtMs - third);
    }

    /// <summary>
    /// Starts a freshly granted lease if it is still fresh, renewing it at once when it is already due; returns
    /// <see langword="false"/> when it ended before it could be handed over (the caller grants again).
    /// </summary>
    private async ValueTask<bool> TryStartAsync(CancellationToken cancellationToken)
    {
        var now = Ttl.NowMs(_time);
        if (!_autoRenew)
        {
            return now < _expiresAtMs;
        }

        if (now >= _expiresAtMs)
        {
            return false;
        }

        if (now >= RenewalWindowLocked().Due)
        {
            // Handed over late (a slow acknowledgment, a stall): renew now rather than start with a renewal overdue.
            var renewed = await _store.RenewAsync(Key, Owner, FencingToken, _renewTtlMs, cancellationToken).ConfigureAwait(false);
            if (renewed == 0 || Ttl.NowMs(_time) >= renewed - (_renewTtlMs - (_renewTtlMs / 3)))
            {
                return false;
            }

            _expiresAtMs = renewed;
        }

        Start();
        return true;
    }

    /// <summary>Creates the loss token and the timer of an auto-renewed lease, before anything can fire.</summary>
    private void Start()
    {
        lock (_sync)
        {
            _lost ??= new CancellationTokenSource();
            ScheduleLocked();
        }
    }

    /// <summary>Sets the timer for the lease's next event: a renewal due, a renewal's deadline, or the expiry.</summary>
    private void ScheduleLocked()
    {
        if (_state != LeaseState.Held)
        {
            return;
        }

        long at;
        if (_autoRenew)
        {
            var (due, deadline) = RenewalWindowLocked();
            at = _renewing ? deadline : due;
        }
        else
        {
            at = _expiresAtMs;
        }

        _timer ??= _time.CreateTimer(static s => ((Lease)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // System timers cannot be due later than ~49.7 days; a lock TTL is at most 30.
        _timer.Change(TimeSpan.FromMilliseconds(Math.Clamp(at - Ttl.NowMs(_time), 0, MaxTimerDueMs)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Re-arms the timer after the expiry changed, where there is one to re-arm (an unwatched plain lease has none).</summary>
    private void RescheduleLocked()
    {
        if (_timer is not null || _autoRenew)
        {
            ScheduleLocked();
        }
    }

    /// <summary>Takes the waiters for the renewal slot, to be released once outside the lock.</summary>
    private TaskCompletionSource? TakeWaitersLocked()
    {
        var waiters = _renewed;
        _renewed = null;
        return waiters;
    }

    private void StopTimerLocked()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private void OnTimer()
    {
        if (_sync.IsHeldByCurrentThread)
        {
            // A clock that fires a due timer inside Change (a fake or custom TimeProvider) would run this re-entrantly,
            // in the middle of a change of state: run it after, on the pool.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.OnTimer(), this, preferLocal: false);
            return;
        }

        LockLossReason? loss = null;
        var work = TimerWork.None;
        long renewTtlMs = 0;
        lock (_sync)
        {
            if (_state != LeaseState.Held)
            {
                return;
            }

            var now = Ttl.NowMs(_time);
            if (_autoRenew)
            {
                var (due, deadline) = RenewalWindowLocked();
                if (now >= deadline)
                {
                    // Not renewed with a third of the TTL left: give the lease up while no other owner can have it yet.
                    loss = now >= _expiresAtMs && !_renewing ? LockLossReason.Expired : LockLossReason.RenewalOverdue;
                }
                else if (!_renewing && now >= due)
                {
                    _renewing = true;
                    renewTtlMs = _renewTtlMs;
                    work = TimerWork.Renew;
                }

                if (loss is null)
                {
                    ScheduleLocked();
                }
            }
            else if (now < _expiresAtMs)
            {
                ScheduleLocked();
            }
            else
            {
                work = TimerWork.Check;
            }
        }

        if (loss is { } reason)
        {
            Lose(reason, null, fromCaller: false);
        }
        else if (work == TimerWork.Renew)
        {
            Renew(renewTtlMs);
        }
        else if (work == TimerWork.Check)
        {
            Check();
        }
    }

    private void Renew(long ttlMs)
    {
        ValueTask<long> renewal;
        try
        {
            renewal = _store.RenewAsync(Key, Owner, FencingToken, ttlMs, CancellationToken.None);
        }
        catch (Exception e)
        {
            EndRenewal(0, ttlMs, e, fromCaller: false, keepOnError: false);
            return;
        }

        if (renewal.IsCompleted)
        {
            OnRenewed(renewal, ttlMs);
        }
        else
        {
            renewal.AsTask().ContinueWith(
                static (t, s) =>
                {
                    var (lease, ttlMs) = ((Lease, long))s!;
                    lease.OnRenewed(new ValueTask<long>(t), ttlMs);
                },
                (this, ttlMs),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void OnRenewed(ValueTask<long> renewal, long ttlMs)
    {
        long expiresAt;
        try
        {
            expiresAt = renewal.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            EndRenewal(0, ttlMs, e, fromCaller: false, keepOnError: false);
            return;
        }

        EndRenewal(expiresAt, ttlMs, null, fromCaller: false, keepOnError: false);
    }

    /// <summary>
    /// Ends a renewal of <paramref name="ttlMs"/>: adopts its expiry, or loses the lease (a failure loses it unless
    /// <paramref name="keepOnError"/>, for a caller that sees the error itself); returns whether the lease is held.
    /// </summary>
    private bool EndRenewal(long expiresAt, long ttlMs, Exception? error, bool fromCaller, bool keepOnError)
    {
        TaskCompletionSource? waiters;
        bool releaseLate;
        lock (_sync)
        {
            _renewing = false;
            waiters = TakeWaitersLocked();
            releaseLate = _state != LeaseState.Held && expiresAt > 0;
            if (releaseLate)
            {
                // What the store holds now, for a release of this lost lease to match.
                _expiresAtMs = expiresAt;
            }

            if (_state == LeaseState.Held && (expiresAt > 0 || (error is not null && keepOnError)))
            {
                if (expiresAt > 0)
                {
                    _expiresAtMs = expiresAt;
                    _grantedTtlMs = ttlMs;
                    _renewTtlMs = ttlMs;
                }

                RescheduleLocked();
                waiters?.TrySetResult();
                return expiresAt > 0;
            }
        }

        waiters?.TrySetResult();
        if (releaseLate)
        {
            // Given up as overdue (or released), then renewed after all: nobody uses the key, so let others have it now.
            ReleaseLate(expiresAt);
        }
        else if (error is not null)
        {
            Lose(LockLossReason.RenewalFailed, error, fromCaller);
        }
        else
        {
            Lose(LockLossReason.NotHeld, null, fromCaller);
        }

        return false;
    }

    /// <summary>A lease not renewed automatically reached its expiry: lost, unless the store shows it renewed.</summary>
    private void Check()
    {
        ValueTask<long> lookup;
        try
        {
            lookup = _store.HeldUntilAsync(Key, Owner, FencingToken, CancellationToken.None);
        }
        catch (Exception)
        {
            Lose(LockLossReason.Expired, null, fromCaller: false);
            return;
        }

        if (lookup.IsCompleted)
        {
            OnChecked(lookup);
        }
        else
        {
            lookup.AsTask().ContinueWith(
                static (t, s) => ((Lease)s!).OnChecked(new ValueTask<long>(t)),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void OnChecked(ValueTask<long> lookup)
    {
        long heldUntil;
        try
        {
            heldUntil = lookup.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            heldUntil = 0;
        }

        // The same owner may have renewed the lease through another handle (a re-entrant acquisition).
        if (heldUntil <= Ttl.NowMs(_time) || !TryAdopt(heldUntil))
        {
            Lose(LockLossReason.Expired, null, fromCaller: false);
        }
    }

    /// <summary>Takes a later expiry the store confirmed; <see langword="false"/> when the lease is no longer held here.</summary>
    private bool TryAdopt(long expiresAtMs)
    {
        lock (_sync)
        {
            if (_state != LeaseState.Held)
            {
                return false;
            }

            _expiresAtMs = expiresAtMs;
            RescheduleLocked();
            return true;
        }
    }

    /// <summary>Gives back the row of a grant never handed over (the acquisition failed or gave up), best effort.</summary>
    private void ReleaseGranted(bool ownsRow)
    {
        long expiresAt;
        lock (_sync)
        {
            _state = LeaseState.Released;
            StopTimerLocked();
            expiresAt = _expiresAtMs;
        }

        if (ownsRow)
        {
            ReleaseLate(expiresAt);
        }
    }

    /// <summary>Removes the row of this owner if it still expires at <paramref name="expiresAtMs"/>, best effort.</summary>
    private void ReleaseLate(long expiresAtMs)
    {
        try
        {
            _ = _store.ReleaseAsync(Key, Owner, FencingToken, expiresAtMs, CancellationToken.None).AsTask().ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
#pragma warning disable CA1031 // Best effort: the row expires by its TTL anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Marks the lease lost, reports why, and fires <see cref="HandleLost"/>. From a timer or a continuation
    /// (<paramref name="fromCaller"/> false) an exception of a callback registered on it has nobody to reach and is dropped.
    /// </summary>
    private void Lose(LockLossReason reason, Exception? error, bool fromCaller)
    {
        TaskCompletionSource? waiters;
        lock (_sync)
        {
            if (_state != LeaseState.Held)
            {
                return;
            }

            _state = LeaseState.Lost;
            StopTimerLocked();
            _lost ??= new CancellationTokenSource();
            waiters = TakeWaitersLocked();
        }

        waiters?.TrySetResult();

        PersistenceTelemetry.LockLost();
        if (PersistenceEvents.IsEnabled)
        {
            PersistenceEvents.LockLost(new PersistenceLockLost(Key, Owner, FencingToken, reason, error));
        }

        CancelLost(fromCaller);
    }

    private void CancelLost(bool fromCaller)
    {
        CancellationTokenSource? lost;
        lock (_sync)
        {
            lost = _lost;
            _lost ??= CreateCancelled();
        }

        if (lost is null || lost.IsCancellationRequested)
        {
            return;
        }

        if (fromCaller)
        {
            // As CancellationTokenSource.Cancel does: a callback's exception reaches the caller (after every callback ran).
            lost.Cancel();
            return;
        }

        try
        {
            lost.Cancel();
        }
#pragma warning disable CA1031 // A timer thread has nobody to give a callback's exception to; it must not end the process.
        catch (AggregateException)
#pragma warning restore CA1031
        {
        }
    }

    private static CancellationTokenSource CreateCancelled()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private enum TimerWork
    {
        None,
        Renew,
        Check,
    }
}
