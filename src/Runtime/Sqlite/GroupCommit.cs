using System.Diagnostics;
using System.Runtime.CompilerServices;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// Group commit for the writer connection. A write that finds the writer free runs and commits inline; writes that
/// arrive while it is busy queue up, and the committing thread takes the whole queue into one transaction and hands
/// each caller its outcome only after the commit. When a write of the group fails, the transaction rolls back and the
/// group runs again with one savepoint per write, so the failing write rolls back alone.
/// </summary>
/// <remarks>
/// <para>
/// The committing thread is a thread of this adapter's own, started when the first write queues and ended when the
/// writer has been idle for a while, so it commits even when the thread pool is starved. It never runs a caller's
/// code: every outcome is delivered through the thread pool, and the caller's continuation runs there, as with
/// <c>RunContinuationsAsynchronously</c>. Should the pool not pick a delivery up within <see cref="RescueAfter"/> (a pool
/// starved by callers that block on their own writes), <see cref="DeliveryRescue"/> delivers it, so a starved pool slows
/// only its own callers and never deadlocks them.
/// </para>
/// <para>
/// Batching: callers that write in a loop come back with their next write soon after their outcome is delivered.
/// After a group, the committing thread lingers while the queue still grows, until as many writes are queued as the
/// last group had, the queue stops growing for <see cref="QuietAfter"/>, or <see cref="MaxLinger"/> has passed, so the
/// next group forms whole instead of as a trickle.
/// </para>
/// </remarks>
internal sealed class GroupCommit : IDisposable
{
    /// <summary>How long a delivery may wait for a thread-pool thread before a rescue thread delivers it.</summary>
    private static readonly TimeSpan RescueAfter = TimeSpan.FromMilliseconds(10);

    /// <summary>How long the queue may stay unchanged before the committing thread stops lingering.</summary>
    private static readonly long QuietAfter = Stopwatch.Frequency / 20_000; // 50 µs

    /// <summary>The most the committing thread lingers for a group to form.</summary>
    private static readonly long MaxLinger = Stopwatch.Frequency / 1_000; // 1 ms

    /// <summary>How often the committing thread looks for deliveries the pool has not picked up.</summary>
    private static readonly long WatchEvery = Stopwatch.Frequency / 1_000; // 1 ms

    /// <summary>How long an idle committing thread waits for work before it ends.</summary>
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(2);

    private readonly SqliteConnection _writer;
    private readonly TimeSpan _busyTimeout;
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _work = new(0, int.MaxValue);
    private List<IQueuedWrite> _queue = [];
    private List<IQueuedWrite> _spare = [];
    private volatile int _queued;
    private volatile bool _draining;
    private bool _threadRunning;
    private bool _disposed;

    // Deliveries handed to the thread pool and not yet known to be picked up: (write, ticket, when).
    // Only the committing thread reads or changes it.
    private readonly List<(IQueuedWrite Write, long Ticket, long At)> _deliveries = [];
    private long _lastWatch;

    // The group being committed, for the committing thread's last resort (its writes that are not null are undelivered).
    private List<IQueuedWrite>? _inFlight;

    private readonly Action<GroupCommit> _startThread;

    /// <param name="writer">The writer connection.</param>
    /// <param name="busyTimeout">How long a group waits out a busy database.</param>
    /// <param name="startThread">Starts the committing thread (<see cref="StartCommittingThread"/>, unless a test stands in a start that fails).</param>
    public GroupCommit(SqliteConnection writer, TimeSpan busyTimeout, Action<GroupCommit>? startThread = null)
    {
        _writer = writer;
        _busyTimeout = busyTimeout;
        _startThread = startThread ?? StartCommittingThread;
    }

    /// <summary>The name of every committing thread.</summary>
    internal const string ThreadName = "nap group commit";

    /// <summary>
    /// Gets whether no write is queued or being committed (or lingered for), so a new write may run inline without
    /// overtaking one queued before it.
    /// </summary>
    public bool IsIdle => !_draining;

    public unsafe ValueTask<TResult> Enqueue<TState, TResult>(string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        var item = QueuedWrite<TState, TResult>.Rent(operation, state, body, cancellationToken);
        var task = item.Task;
        Submit(item);
        return task;
    }

    /// <summary>Queues a rented write and wakes the committing thread (not generic: NativeAOT carries it once).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Submit(IQueuedWrite item)
    {
        bool wake;
        bool start;
        lock (_sync)
        {
            _queue.Add(item);
            _queued = _queue.Count;
            wake = !_draining;
            _draining = true;
            start = wake && !_threadRunning;
            _threadRunning |= start;
        }

        if (start)
        {
            StartThread();
        }
        else if (wake)
        {
            _work.Release();
        }
    }

    /// <summary>Starts <paramref name="groupCommit"/>'s committing thread.</summary>
    internal static void StartCommittingThread(GroupCommit groupCommit) =>
        // The default stack size: a payload's serializer (a caller's type) runs on this thread.
        new Thread(static s => ((GroupCommit)s!).Run()) { IsBackground = true, Name = ThreadName }.UnsafeStart(groupCommit);

    private void StartThread()
    {
        try
        {
            _startThread(this);
        }
#pragma warning disable CA1031 // Whatever stopped the thread (out of memory, a thread limit) fails the queued writes, typed, instead of leaving them waiting.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailQueued(new PersistenceException(
                $"The committing thread could not be started ({e.Message}); nothing was written.",
                PersistenceErrorKind.Other,
                "write",
                _writer.DataSource,
                innerException: e));
        }
    }

    /// <summary>
    /// Fails every queued write and leaves the queue as if no thread had ever run (the next write starts one): for a
    /// committing thread that could not start, or that ended on an error nothing else caught.
    /// </summary>
    private void FailQueued(Exception error)
    {
        List<IQueuedWrite> failed;
        lock (_sync)
        {
            failed = [.. _queue];
            _queue.Clear();
            _queued = 0;
            _draining = false;
            _threadRunning = false;
        }

        // Through the thread pool, as every outcome: never a continuation on the thread that found the failure.
        foreach (var item in failed)
        {
            item.Deliver(error, default);
        }
    }

    /// <summary>Ends the committing thread once it is idle (the adapter disconnected).</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
        }

        _work.Release();
    }

    /// <summary>Reports a delivered write's group size and busy wait, on the thread the caller resumes on (never the committing one).</summary>
    internal static void Report(string operation, in WriteReport report)
    {
        try
        {
            if (report.GroupSize > 0)
            {
                PersistenceTelemetry.GroupCommitted(report.GroupSize);
            }

            if (report.BusyWait > TimeSpan.Zero)
            {
                PersistenceTelemetry.BusyWait("sqlite", operation);
                SqliteConnectionPool.ReportBusyWait(operation, report.DataSource ?? "", report.BusyWait, report.GaveUp);
            }
        }
#pragma warning disable CA1031 // A listener's failure must never fail a write that committed.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Run()
    {
        try
        {
            RunLoop();
        }
#pragma warning disable CA1031 // Should anything escape the loop (it handles every write's errors), no write may be left waiting.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var error = new PersistenceException($"The committing thread failed ({e.Message}); the writes it held were not written.", PersistenceErrorKind.Other, "write", _writer.DataSource, innerException: e);
            try
            {
                // Under the writer's gate: an inline write may hold the writer (and its own transaction) meanwhile.
                _writer.Gate.Wait();
                try
                {
                    if (!_writer.IsClosed)
                    {
                        Rollback();
                    }
                }
                finally
                {
                    _writer.Gate.Release();
                }
            }
#pragma warning disable CA1031 // Best effort: a writer that cannot roll back is closed or broken, and its next user sees why.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            // The group in flight (its undelivered writes) and everything queued fail; nothing waits for a thread that ended.
            if (_inFlight is { } batch)
            {
                foreach (var item in batch)
                {
                    item?.Deliver(error, default);
                }
            }

            FailQueued(error);
        }
    }

    private void RunLoop()
    {
        var idleSince = Stopwatch.GetTimestamp();
        while (true)
        {
            if (_queued > 0)
            {
                Drain();
                idleSince = Stopwatch.GetTimestamp();
                continue;
            }

            // Idle: watch the deliveries still waiting for the pool (briefly), or wait for work.
            var watching = WatchDeliveries(force: true);
            if (!_work.Wait(watching ? TimeSpan.FromMilliseconds(1) : IdleExit) && !watching
                && Stopwatch.GetElapsedTime(idleSince) >= IdleExit)
            {
                lock (_sync)
                {
                    if (_queue.Count == 0 && _deliveries.Count == 0)
                    {
                        _threadRunning = false;
                        return;
                    }
                }
            }

            lock (_sync)
            {
                if (_disposed && _queue.Count == 0 && _deliveries.Count == 0)
                {
                    _threadRunning = false;
                    return;
                }
            }
        }
    }

    /// <summary>Commits group after group until the queue is empty.</summary>
    private void Drain()
    {
        var lastGroup = 0;
        while (true)
        {
            // The callers of the last group come back with their next writes soon after their outcomes went out: wait for
            // the first of them (briefly) rather than stop draining, which would let the others write one at a time.
            if (lastGroup > 1 && _queued == 0)
            {
                WaitForArrival(Stopwatch.GetTimestamp());
            }

            List<IQueuedWrite> batch;
            lock (_sync)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }

                batch = _queue;
                _queue = _spare;
                _queued = 0;
            }

            _inFlight = batch;
            lastGroup = RunBatch(batch, lastGroup);
            _inFlight = null;
            batch.Clear();
            lock (_sync)
            {
                _spare = batch;
            }

            WatchDeliveries();
        }
    }

    /// <summary>
    /// While a group's transaction is open, moves the writes that arrive (the callers of the last group coming back with
    /// their next writes) to the end of <paramref name="batch"/>, spinning between looks: until the group has
    /// <paramref name="expected"/> writes, the queue stays empty for <see cref="QuietAfter"/>, or <see cref="MaxLinger"/>
    /// passed since <paramref name="started"/>. Returns whether any arrived.
    /// </summary>
    private bool TakeArrivals(List<IQueuedWrite> batch, int expected, long started)
    {
        if (batch.Count >= expected)
        {
            return false;
        }

        if (!WaitForArrival(started))
        {
            return false;
        }

        lock (_sync)
        {
            batch.AddRange(_queue);
            _queue.Clear();
            _queued = 0;
        }

        return true;
    }

    /// <summary>
    /// Spins until a write is queued (<see langword="true"/>), the queue stays empty for <see cref="QuietAfter"/>, or
    /// <see cref="MaxLinger"/> passed since <paramref name="started"/>.
    /// </summary>
    private bool WaitForArrival(long started)
    {
        var quietSince = Stopwatch.GetTimestamp();
        var spinner = default(SpinWait);
        while (_queued == 0)
        {
            var now = Stopwatch.GetTimestamp();
            if (now - quietSince >= QuietAfter || now - started >= MaxLinger)
            {
                return false;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return true;
    }

    /// <summary>
    /// Runs one group to its end (committed, or failed write by write), taking in writes that arrive meanwhile up to
    /// <paramref name="expected"/>; returns how many writes committed.
    /// </summary>
    private int RunBatch(List<IQueuedWrite> batch, int expected)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = new Backoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(50));
        var committed = 0;
        TimeSpan waited = default;
        while (true)
        {
            _writer.Gate.Wait();
            Outcome outcome;
            try
            {
                outcome = _writer.IsClosed ? Outcome.Closed : Execute(batch, expected, ref committed, waited);
            }
#pragma warning disable CA1031 // Nothing may end the committing thread: what could not be handled fails the writes still waiting.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Rollback();
                batch.RemoveAll(static item => item is null);
                Fail(batch, e, waited);
                return committed;
            }
            finally
            {
                _writer.Gate.Release();
            }

            switch (outcome)
            {
                case Outcome.Committed:
                    return committed;
                case Outcome.Closed:
                    Fail(batch, new InvalidOperationException("The adapter was disconnected while writes were queued; call ConnectAsync before using its providers."), waited);
                    return committed;
            }

            // Busy: nothing of what is left was written. Cancelled callers leave now; the rest wait, with backoff, within the budget.
            waited = Stopwatch.GetElapsedTime(started);
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].CancellationToken.IsCancellationRequested)
                {
                    Deliver(batch[i], new OperationCanceledException(batch[i].CancellationToken), 0, waited, gaveUp: false);
                    batch[i] = null!;
                }
            }

            batch.RemoveAll(static item => item is null);
            if (batch.Count == 0)
            {
                return committed;
            }

            if (waited >= _busyTimeout)
            {
                var busy = new SqliteBusyException(SQLITE_BUSY, "database is locked");
                foreach (var item in batch)
                {
                    Deliver(item, SqliteErrors.BusyTimeout(busy, waited, item.Operation, _writer.DataSource), 0, waited, gaveUp: true);
                }

                return committed;
            }

            SleepWatching(backoff.NextDelay(_busyTimeout - waited));
        }
    }

    /// <summary>Sleeps out a busy backoff a millisecond at a time, so deliveries the pool has not picked up are rescued meanwhile.</summary>
    private void SleepWatching(TimeSpan duration)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            WatchDeliveries(force: true);
            var left = until - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                return;
            }

            Thread.Sleep(_deliveries.Count == 0 ? TimeSpan.FromSeconds((double)left / Stopwatch.Frequency) : TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>
    /// Runs the batch on the writer (whose gate the caller holds) and delivers every write that ended: committed ones
    /// only after their commit. On <see cref="Outcome.Busy"/> the writes still in <paramref name="batch"/> wrote nothing.
    /// </summary>
    private Outcome Execute(List<IQueuedWrite> batch, int expected, ref int committed, TimeSpan waited)
    {
        RemoveCancelled(batch, waited);
        if (batch.Count == 0)
        {
            return Outcome.Committed;
        }

        if (batch.Count == 1 && expected <= 1)
        {
            // A lone write, and nobody coming back: its own statement, no transaction around it.
            var alone = RunAlone(batch, 0, ref committed, waited);
            batch.RemoveAll(static item => item is null);
            return alone;
        }

        // First without savepoints: a savepoint and its release cost about as much as the write itself when commits
        // are cheap (synchronous=NORMAL). Writes rarely fail; when one does, the whole transaction rolls back (nothing
        // was committed or delivered) and the group runs again with a savepoint per write.
        var optimistic = TryBegin(batch, waited);
        if (optimistic != Outcome.Committed || batch.Count == 0)
        {
            return optimistic;
        }

        // Each write runs as it is taken in, so the callers still coming back (on the thread pool) overlap with the
        // writes already here (on this thread), and the group commits once it is whole.
        var started = Stopwatch.GetTimestamp();
        var failed = RunEach(batch, 0);
        var first = batch.Count;
        while (!failed && TakeArrivals(batch, expected, started))
        {
            RemoveCancelled(batch, waited, first);
            failed = RunEach(batch, first);
            first = batch.Count;
        }

        if (!failed)
        {
            return Commit(batch, ref committed, waited);
        }

        Rollback();
        return ExecuteWithSavepoints(batch, ref committed, waited);
    }

    /// <summary>Runs the writes of <paramref name="batch"/> from <paramref name="first"/> on; returns whether one failed (the rest did not run).</summary>
    private bool RunEach(List<IQueuedWrite> batch, int first)
    {
        for (var i = first; i < batch.Count; i++)
        {
            try
            {
                batch[i].Run(_writer);
            }
#pragma warning disable CA1031 // Any failure sends the group down the savepoint path, where the write fails alone.
            catch (Exception)
#pragma warning restore CA1031
            {
                return true;
            }
        }

        return false;
    }

    private void RemoveCancelled(List<IQueuedWrite> batch, TimeSpan waited, int first = 0)
    {
        for (var i = first; i < batch.Count; i++)
        {
            if (batch[i].CancellationToken.IsCancellationRequested)
            {
                Deliver(batch[i], new OperationCanceledException(batch[i].CancellationToken), 0, waited, gaveUp: false);
                batch[i] = null!;
            }
        }

        batch.RemoveAll(static item => item is null);
    }

    /// <summary>Runs the batch in one transaction with a savepoint around each write, so a failing write rolls back alone.</summary>
    private Outcome ExecuteWithSavepoints(List<IQueuedWrite> batch, ref int committed, TimeSpan waited)
    {
        var begun = TryBegin(batch, waited);
        if (begun != Outcome.Committed || batch.Count == 0)
        {
            return begun;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            try
            {
                _writer.Execute(SqliteEngineSql.SavepointWrite, item.Operation);
                item.Run(_writer);
                _writer.Execute(SqliteEngineSql.ReleaseWrite, item.Operation);
            }
            catch (Exception e) when (_writer.InTransactionNow && e is not SqliteBusyException)
            {
                // This write rolls back alone, whatever it changed before it failed; its neighbors stay in the
                // transaction. Nothing of it is left to commit, so its caller may hear of it now.
                _writer.Execute(SqliteEngineSql.RollbackToWrite, item.Operation);
                _writer.Execute(SqliteEngineSql.ReleaseWrite, item.Operation);
                Deliver(item, e, 0, waited, gaveUp: false);
                batch[i] = null!;
            }
            catch (Exception)
            {
                // SQLite rolled the whole transaction back (a full disk, an I/O error) or the database turned busy:
                // nothing of this batch is committed, so run each write on its own, each failing or committing alone.
                Rollback();
                batch.RemoveAll(static item => item is null);
                return RunEachAlone(batch, ref committed, waited);
            }
        }

        batch.RemoveAll(static item => item is null);
        return Commit(batch, ref committed, waited);
    }

    /// <summary>
    /// Begins the batch's transaction: <see cref="Outcome.Committed"/> when begun, <see cref="Outcome.Busy"/> when the
    /// database is locked; any other failure fails (and removes) every write, and returns <see cref="Outcome.Committed"/>
    /// with an empty batch.
    /// </summary>
    private Outcome TryBegin(List<IQueuedWrite> batch, TimeSpan waited)
    {
        try
        {
            _writer.Execute(SqliteEngineSql.BeginImmediate, "group_commit");
            return Outcome.Committed;
        }
        catch (SqliteBusyException)
        {
            return Outcome.Busy;
        }
        catch (Exception e)
        {
            Fail(batch, e, waited);
            batch.Clear();
            return Outcome.Committed;
        }
    }

    private Outcome Commit(List<IQueuedWrite> batch, ref int committed, TimeSpan waited)
    {
        try
        {
            _writer.Execute(SqliteEngineSql.Commit, "group_commit");
        }
        catch (Exception)
        {
            Rollback();
            return RunEachAlone(batch, ref committed, waited);
        }

        // Committed: from here nothing may send the group down the failure path again (it would run twice).
        committed += batch.Count;
        for (var i = 0; i < batch.Count; i++)
        {
            // The group's size is reported once, by its first caller, on that caller's thread.
            Deliver(batch[i], null, i == 0 ? batch.Count : 0, waited, gaveUp: false);
        }

        batch.Clear();
        return Outcome.Committed;
    }

    private Outcome RunEachAlone(List<IQueuedWrite> batch, ref int committed, TimeSpan waited)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is null)
            {
                continue;
            }

            if (RunAlone(batch, i, ref committed, waited) == Outcome.Busy)
            {
                // Keep the writes not yet run, in order; the ones before were delivered.
                batch.RemoveRange(0, i);
                batch.RemoveAll(static item => item is null);
                return Outcome.Busy;
            }
        }

        batch.Clear();
        return Outcome.Committed;
    }

    private Outcome RunAlone(List<IQueuedWrite> batch, int index, ref int committed, TimeSpan waited)
    {
        var item = batch[index];
        try
        {
            item.Run(_writer);
        }
        catch (SqliteBusyException)
        {
            return Outcome.Busy;
        }
        catch (Exception e)
        {
            Deliver(item, e, 0, waited, gaveUp: false);
            batch[index] = null!;
            return Outcome.Committed;
        }

        committed++;
        Deliver(item, null, 1, waited, gaveUp: false);
        batch[index] = null!;
        return Outcome.Committed;
    }

    private void Rollback() => _writer.Rollback();

    private void Fail(List<IQueuedWrite> batch, Exception exception, TimeSpan waited)
    {
        foreach (var item in batch)
        {
            if (item is not null)
            {
                Deliver(item, exception, 0, waited, gaveUp: false);
            }
        }
    }

    /// <summary>Hands a write's outcome to the thread pool, and keeps an eye on it until the pool picked it up.</summary>
    private void Deliver(IQueuedWrite write, Exception? error, int groupSize, TimeSpan waited, bool gaveUp)
    {
        write.Deliver(error, new WriteReport(groupSize, waited, gaveUp, waited > TimeSpan.Zero ? _writer.DataSource : null));
        var ticket = write.Ticket;
        if (ticket != 0)
        {
            // Only the committing thread touches this list.
            _deliveries.Add((write, ticket, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>
    /// Forgets deliveries the pool picked up; those it has not picked up within <see cref="RescueAfter"/> go to a rescue
    /// thread. Looks at most every <see cref="WatchEvery"/> unless <paramref name="force"/>d. Returns whether any
    /// delivery is still waiting.
    /// </summary>
    private bool WatchDeliveries(bool force = false)
    {
        if (_deliveries.Count == 0)
        {
            return false;
        }

        var now = Stopwatch.GetTimestamp();
        if (!force && now - _lastWatch < WatchEvery)
        {
            return true;
        }

        _lastWatch = now;
        var rescueAfter = (long)(RescueAfter.TotalSeconds * Stopwatch.Frequency);
        var kept = 0;
        for (var i = 0; i < _deliveries.Count; i++)
        {
            var d = _deliveries[i];
            if (d.Write.Ticket != d.Ticket)
            {
                continue; // picked up
            }

            // Never delivered here: a rescue thread runs the caller's continuation. Kept when every rescuer is busy.
            if (now - d.At >= rescueAfter && DeliveryRescue.TryRescue(d.Write, d.Ticket))
            {
                continue;
            }

            _deliveries[kept++] = d;
        }

        _deliveries.RemoveRange(kept, _deliveries.Count - kept);
        return kept > 0;
    }

    private enum Outcome
    {
        Committed,
        Busy,
        Closed,
    }
}
