using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Leases;

/// <summary>
/// The lease core behind every lock handle, auto-renewal and ExecuteOnce, against a scripted store on a fake clock: what
/// a grant handed over late does, when renewals run, and when (and why) a lease is given up.
/// </summary>
public sealed class LeaseTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task AGrantThatEndedBeforeItCouldBeHandedOver_IsGrantedAgain_NeverReturnedExpiredNorNull()
    {
        // The first grant's lease ends the moment it is granted (a stall between the grant and the hand-over).
        var store = new ScriptedStore(_time) { Grants = { (_, ttl) => new LeaseGrant(1, 0), (now, ttl) => new LeaseGrant(2, now + ttl) } };
        var lease = await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct);

        Assert.NotNull(lease);
        Assert.Equal(2, lease.FencingToken);
        Assert.Equal(2, store.GrantCalls);
        Assert.True(lease.ExpiresAtMs > Now);
        Assert.False(lease.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task AnAutoRenewedGrantHandedOverWhenItsRenewalIsDue_IsRenewedAtOnce()
    {
        // Granted 500 ms ago with a TTL of 900 ms: its first renewal was due 200 ms ago, its end is 400 ms away.
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(7, now - 500 + ttl) } };
        var lease = await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(900), autoRenew: true, Ct);

        Assert.NotNull(lease);
        Assert.Equal(1, store.RenewCalls);
        Assert.Equal(Now + 900, lease.ExpiresAtMs);
        Assert.False(lease.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task GrantsThatAlwaysEndBeforeTheHandOver_FailWithATypedError_NotNull()
    {
        var store = new ScriptedStore(_time);
        for (var i = 0; i < 8; i++)
        {
            store.Grants.Add((now, _) => new LeaseGrant(i + 1, now));
        }

        var error = await Assert.ThrowsAsync<PersistenceException>(async () => await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct));
        Assert.Equal(PersistenceErrorKind.Busy, error.Kind);
        Assert.Contains("'job'", error.Message, StringComparison.Ordinal);
        Assert.Equal(8, store.GrantCalls);
    }

    [Fact]
    public async Task AutoRenewal_RunsAThirdOfTheTtlAfterEachGrant_OnTheStoresClock()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
        var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;

        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(0, store.RenewCalls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, store.RenewCalls);
        Assert.Equal(Now + 300, lease.ExpiresAtMs);

        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(31, store.RenewCalls);
        Assert.False(lease.HandleLost.IsCancellationRequested);
        await lease.ReleaseAsync(Ct);
        Assert.True(lease.HandleLost.IsCancellationRequested);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(31, store.RenewCalls);
    }

    [Fact]
    public async Task ARenewalThatIsNotThroughWithAThirdOfTheTtlLeft_LosesTheLease_BeforeItEnds_AndALateSuccessReleasesIt()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
        var pending = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Renewal = (_, _) => new ValueTask<long>(pending.Task);
        var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
        var end = lease.ExpiresAtMs;
        long? lostAt = null;
        lease.HandleLost.Register(() => lostAt = Now);

        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(lease.IsRenewing);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Null(lostAt);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // Lost with a third of the TTL left: no other owner can have the key before `end`, so the holder hears first.
        Assert.Equal(end - 100, lostAt);
        Assert.Equal(0, store.ReleaseCalls);

        var late = Now + 300;
        pending.SetResult(late);
        await WaitUntilAsync(() => store.ReleaseCalls == 1);

        // Only the row as that renewal left it: a later grant to the same owner (another expiry) stays.
        Assert.Equal([late], store.Releases);
        Assert.False(await lease.ExtendAsync(TimeSpan.FromSeconds(1), Ct));
        await lease.ReleaseAsync(Ct);
        Assert.Equal([late, late], store.Releases);
    }

    [Fact]
    public async Task AHeldLeaseReleasesTheOwnersRow_AnEndedOneOnlyTheGrantItKnew()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
        var held = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct))!;
        var ended = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct))!;
        var endedAt = ended.ExpiresAtMs;
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await held.ReleaseAsync(Ct);

        // Past its expiry (nobody watched HandleLost): the same owner may hold a later grant, which must stay.
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await ended.ReleaseAsync(Ct);
        Assert.Equal([0, endedAt], store.Releases);
    }

    [Fact]
    public async Task ExtendingAnAutoRenewedLease_SetsTheTtlOfItsLaterRenewals()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
        var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await lease.ExtendAsync(TimeSpan.FromMilliseconds(2), Ct));

        Assert.True(await lease.ExtendAsync(TimeSpan.FromSeconds(3), Ct));
        Assert.Equal(Now + 3000, lease.ExpiresAtMs);

        // The window follows the new TTL: the next renewal is due a third of 3 s later, and asks for 3 s again.
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal([3000], store.RenewTtls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([3000, 3000], store.RenewTtls);
        Assert.False(lease.HandleLost.IsCancellationRequested);

        // Shorter again: a 300 ms lease renewed every 100 ms.
        Assert.True(await lease.ExtendAsync(TimeSpan.FromMilliseconds(300), Ct));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([3000, 3000, 300, 300], store.RenewTtls);
        Assert.Equal(Now + 300, lease.ExpiresAtMs);
    }

    [Fact]
    public async Task AnExtendDuringTheTimersRenewal_WaitsForIt_SoTheStoresLastExpiryIsTheOneKept()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
        var pending = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Renewal = (_, _) => new ValueTask<long>(pending.Task);
        var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(lease.IsRenewing);

        var extend = lease.ExtendAsync(TimeSpan.FromMinutes(10), Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(extend.IsCompleted);
        Assert.Equal(1, store.RenewCalls);

        store.Renewal = null;
        pending.SetResult(Now + 300);
        Assert.True(await extend);
        Assert.Equal(2, store.RenewCalls);
        Assert.Equal(Now + 600_000, lease.ExpiresAtMs);

        // The ten-minute lease is not given up at the 300 ms lease's deadline.
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.False(lease.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task AnAcquisitionThatFailsAfterItsGrant_GivesTheGrantBack()
    {
        // A late auto-renewed grant whose renewal fails: the error reaches the caller, and the row is released.
        var store = new ScriptedStore(_time)
        {
            Grants = { (now, ttl) => new LeaseGrant(1, now - 500 + ttl) },
            Renewal = (_, _) => ValueTask.FromException<long>(new PersistenceException("disk on fire", PersistenceErrorKind.Io, "lock.extend")),
        };
        await Assert.ThrowsAsync<PersistenceException>(async () => await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(900), autoRenew: true, Ct));
        Assert.Equal([Now + 400], store.Releases);

        // Eight grants that each ended before the hand-over: the last one is given back too.
        var ended = new ScriptedStore(_time) { Grants = { (now, _) => new LeaseGrant(1, now) } };
        await Assert.ThrowsAsync<PersistenceException>(async () => await Lease.AcquireAsync(ended, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct));
        Assert.Equal([Now], ended.Releases);
    }

    [Fact]
    public async Task EveryRenewalReleaseAndLookup_NamesTheGrantsToken_SoItNeverTouchesALaterGrant()
    {
        var heldUntil = 0L;
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(41, now + ttl) }, HeldUntil = () => heldUntil };
        var renewed = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(await renewed.ExtendAsync(TimeSpan.FromSeconds(1), Ct));
        await renewed.ReleaseAsync(Ct);

        var plain = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct))!;
        heldUntil = Now + 1000;
        Assert.True(await plain.IsValidAsync(Ct));
        Assert.True(await plain.ExtendAsync(TimeSpan.FromSeconds(1), Ct));
        await plain.ReleaseAsync(Ct);
        Assert.Equal(6, store.Tokens.Count);
        Assert.All(store.Tokens, t => Assert.Equal(41, t));
    }

    [Fact]
    public async Task AnExtendThatFails_ReachesItsCaller_AndTheLeaseLivesOn()
    {
        var failing = true;
        var store = new ScriptedStore(_time)
        {
            Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) },
            Renewal = (now, ttl) => failing
                ? ValueTask.FromException<long>(new PersistenceException("busy", PersistenceErrorKind.Busy, "lock.extend"))
                : new ValueTask<long>(now + ttl),
        };
        foreach (var autoRenew in new[] { true, false })
        {
            failing = true;
            var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew, Ct))!;
            var lost = lease.HandleLost;
            await Assert.ThrowsAsync<PersistenceException>(async () => await lease.ExtendAsync(TimeSpan.FromSeconds(3), Ct));
            using (var cancelled = new CancellationTokenSource())
            {
                await cancelled.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await lease.ExtendAsync(TimeSpan.FromSeconds(3), cancelled.Token));
            }

            Assert.False(lost.IsCancellationRequested);
            failing = false;
            Assert.True(await lease.ExtendAsync(TimeSpan.FromSeconds(3), Ct));
            Assert.Equal(Now + 3000, lease.ExpiresAtMs);
            Assert.False(lost.IsCancellationRequested);
            await lease.ReleaseAsync(Ct);
        }
    }

    [Fact]
    public async Task AnExtendWaitingForARenewalThatNeverEnds_ReturnsFalse_OnceTheLeaseIsLostOrReleased()
    {
        foreach (var release in new[] { true, false })
        {
            var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
            store.Renewal = (_, _) => new ValueTask<long>(new TaskCompletionSource<long>().Task);
            var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
            _time.Advance(TimeSpan.FromMilliseconds(100));
            var extend = lease.ExtendAsync(TimeSpan.FromSeconds(3), Ct).AsTask();
            Assert.False(extend.IsCompleted);
            if (release)
            {
                await lease.ReleaseAsync(Ct);
            }
            else
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
                Assert.True(lease.HandleLost.IsCancellationRequested);
            }

            Assert.False(await extend.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        }
    }

    [Fact]
    public async Task AFailedReentrantAcquisition_LeavesTheRowAnotherHandleOfTheOwnerHolds()
    {
        // The grant renewed the same owner's live row (another handle uses it), then its first renewal failed.
        var store = new ScriptedStore(_time)
        {
            Grants = { (now, ttl) => new LeaseGrant(1, now - 500 + ttl, Reentrant: true) },
            Renewal = (_, _) => ValueTask.FromException<long>(new PersistenceException("disk on fire", PersistenceErrorKind.Io, "lock.extend")),
        };
        await Assert.ThrowsAsync<PersistenceException>(async () => await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(900), autoRenew: true, Ct));
        Assert.Empty(store.Releases);
    }

    [Fact]
    public async Task ACallbackThatThrowsWhenALeaseIsLostOnATimer_DoesNotEscapeTheTimer()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) }, Renewal = (_, _) => new ValueTask<long>(0L) };
        var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
        var ran = 0;
        lease.HandleLost.Register(() =>
        {
            ran++;
            throw new InvalidOperationException("a careless callback");
        });

        // Fake timers run inside Advance: an exception let out of the lease's timer would surface here.
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, ran);
        Assert.True(lease.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task ARenewalThatFails_OrFindsTheKeyGone_LosesTheLease_WithItsReason()
    {
        var reasons = new ConcurrentQueue<(LockLossReason Reason, Exception? Error)>();
        foreach (var (renewal, expected) in new (Func<long, long, ValueTask<long>>, LockLossReason)[]
        {
            ((_, _) => ValueTask.FromException<long>(new PersistenceException("disk on fire", PersistenceErrorKind.Io, "lock.extend")), LockLossReason.RenewalFailed),
            ((_, _) => new ValueTask<long>(0L), LockLossReason.NotHeld),
        })
        {
            var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) }, Renewal = renewal };
            var lease = (await Lease.AcquireAsync(store, "job", Guid.NewGuid().ToString(), TimeSpan.FromMilliseconds(300), autoRenew: true, Ct))!;
            var observer = new LossObserver(lease.Owner, reasons);
            using (PersistenceEvents.Subscribe(observer))
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
                Assert.True(lease.HandleLost.IsCancellationRequested);
            }

            Assert.True(reasons.TryDequeue(out var loss));
            Assert.Equal(expected, loss.Reason);
            Assert.Equal(expected == LockLossReason.RenewalFailed, loss.Error is PersistenceException { Kind: PersistenceErrorKind.Io });
        }
    }

    [Fact]
    public async Task ALeaseNotRenewedAutomatically_IsLostAtItsEnd_UnlessTheStoreShowsItRenewed()
    {
        var heldUntil = 0L;
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) }, HeldUntil = () => heldUntil };
        var lease = (await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromSeconds(1), autoRenew: false, Ct))!;
        var lost = lease.HandleLost;

        // Renewed through another handle of the same owner: the store says so, and the lease lives on.
        heldUntil = Now + 3000;
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(lost.IsCancellationRequested);
        Assert.Equal(heldUntil, lease.ExpiresAtMs);
        heldUntil = 0;
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(lost.IsCancellationRequested);
    }

    [Fact]
    public async Task AnAutoRenewedTtlBelowThreeMilliseconds_IsRefused_BeforeAnythingIsGranted()
    {
        var store = new ScriptedStore(_time) { Grants = { (now, ttl) => new LeaseGrant(1, now + ttl) } };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(2), autoRenew: true, Ct));
        Assert.Equal(0, store.GrantCalls);
        Assert.NotNull(await Lease.AcquireAsync(store, "job", "me", TimeSpan.FromMilliseconds(1), autoRenew: false, Ct));
    }

    [Fact]
    public async Task AWrappedHandleAlreadyLost_IsLostAtOnce_WithoutTouchingATimerThatDoesNotExistYet()
    {
        // The old auto-renewing wrapper registered on the inner handle's token before its timer existed: a token
        // already cancelled ran the callback at once, on a null timer.
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        var inner = new LostHandle(gone.Token);
        var lease = Lease.Wrap(new NoLocks(), inner, _time, Now, TimeSpan.FromSeconds(3));
        Assert.True(lease.HandleLost.IsCancellationRequested);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await lease.ExtendAsync(TimeSpan.FromSeconds(3), Ct));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(5, Ct);
        }

        Assert.True(condition());
    }

    /// <summary>A lease store that answers as the test scripts it, on the test's fake clock.</summary>
    private sealed class ScriptedStore(FakeTimeProvider time) : ILeaseStore
    {
        private int _grant;

        public List<Func<long, long, LeaseGrant>> Grants { get; } = [];

        public Func<long, long, ValueTask<long>>? Renewal { get; set; }

        public Func<long>? HeldUntil { get; set; }

        public int GrantCalls => _grant;

        public int RenewCalls { get; private set; }

        public int ReleaseCalls => Releases.Count;

        /// <summary>The expiry each release was conditional on (0: none).</summary>
        public ConcurrentQueue<long> Releases { get; } = new();

        /// <summary>The TTL each renewal asked for.</summary>
        public ConcurrentQueue<long> RenewTtls { get; } = new();

        public TimeProvider Time => time;

        public string? DataSource => "scripted";

        private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

        public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken) =>
            new(Grants[Math.Min(_grant++, Grants.Count - 1)](Now, ttlMs));

        /// <summary>The fencing token each call named (renewals, releases and lookups alike).</summary>
        public ConcurrentQueue<long> Tokens { get; } = new();

        public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken)
        {
            Tokens.Enqueue(token);
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<long>(cancellationToken);
            }

            RenewCalls++;
            RenewTtls.Enqueue(ttlMs);
            return Renewal is { } renewal ? renewal(Now, ttlMs) : new ValueTask<long>(Now + ttlMs);
        }

        public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
        {
            Tokens.Enqueue(token);
            Releases.Enqueue(expiresAtMs);
            return new ValueTask<bool>(true);
        }

        public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken)
        {
            Tokens.Enqueue(token);
            return new(HeldUntil?.Invoke() ?? 0);
        }
    }

    private sealed class LossObserver(string owner, ConcurrentQueue<(LockLossReason, Exception?)> losses) : IPersistenceEventObserver
    {
        public void OnLockLost(PersistenceLockLost e)
        {
            if (e.Owner == owner)
            {
                losses.Enqueue((e.Reason, e.Error));
            }
        }
    }

    private sealed class LostHandle(CancellationToken lost) : ILockHandle
    {
        public string Key => "job";

        public string Owner => "me";

        public long FencingToken => 1;

        public CancellationToken HandleLost => lost;

        public ValueTask ReleaseAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken = default) => new(false);

        public ValueTask<bool> IsValidAsync(CancellationToken cancellationToken = default) => new(false);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class NoLocks : ILockProvider
    {
        public TimeSpan DefaultTtl => TimeSpan.FromSeconds(30);

        public ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default) => new((ILockHandle?)null);

        public ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default) => new(false);

        public ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default) => new((LockInfo?)null);
    }
}
