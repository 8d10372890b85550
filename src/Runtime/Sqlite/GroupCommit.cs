using System.Diagnostics;
using System.Runtime.ExceptionServices;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// Group commit for the writer connection. A write that finds the writer free runs and commits inline; writes that
/// arrive while it is busy queue up, and one drainer takes the whole queue into one transaction and completes each
/// caller only after the commit. When a write of the group fails, the transaction rolls back and the group runs again
/// with one savepoint per write, so the failing write rolls back alone.
/// </summary>
/// <remarks>
/// After a commit the drainer completes its callers itself, one after another, each continuation running inline up to
/// its next await. A caller that writes again only queues (the drainer is still active), so when the last caller has
/// run the queue holds the next group whole: no thread hop per write, and no two half-size groups alternating, which is
/// what handing each continuation to the thread pool gave. Should a continuation hold the drainer (it blocks on another
/// write, or computes for long), a timer hands the callers not yet completed and the queue to a new drainer after
/// <see cref="RescueAfter"/> (one timer tick: about 1 ms on Linux, up to ~15 ms on Windows, and a free thread-pool
/// thread): no write, and no acknowledgment, waits on another caller's continuation for longer than that.
/// </remarks>
internal sealed class GroupCommit
{
    private readonly SqliteConnection _writer;
    private readonly TimeSpan _busyTimeout;
    private readonly Lock _sync = new();
    private List<IQueuedWrite> _queue = [];
    private List<IQueuedWrite> _spare = [];
    private volatile bool _draining;

    // Only the drainer of generation _generation acknowledges and drains; a rescue starts the next generation.
    private int _generation;
    private Acknowledgments? _acknowledging;
    private Timer? _rescue;

    public GroupCommit(SqliteConnection writer, TimeSpan busyTimeout)
    {
        _writer = writer;
        _busyTimeout = busyTimeout;
    }

    /// <summary>
    /// Gets or sets how long callers' continuations may hold the drainer before a new one takes the rest over (1 ms;
    /// tests lengthen it to make group boundaries deterministic).
    /// </summary>
    internal TimeSpan RescueAfter { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Gets how many transactions the queue committed, a group's or a lone write's (for tests).</summary>
    internal int TransactionsCommitted { get; private set; }

    /// <summary>
    /// Gets whether no write is queued, being drained or being acknowledged, so a new write may run inline without
    /// overtaking. While a group's callers are being completed their next writes queue, and form the next group.
    /// (After a hand-over the previous drainer may still be completing callers of a group already committed.)
    /// </summary>
    public bool IsIdle => !_draining;

    public ValueTask<TResult> Enqueue<TState, TResult>(string operation, TState state, Func<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        var item = QueuedWrite<TState, TResult>.Rent(operation, state, body, cancellationToken);
        var task = item.Task;
        bool start;
        int generation;
        lock (_sync)
        {
            _queue.Add(item);
            start = !_draining;
            _draining = true;
            generation = _generation;
        }

        if (start)
        {
            StartDrainer(generation);
        }

        return task;
    }

    private void StartDrainer(int generation, Acknowledgments? inherited = null) =>
        ThreadPool.UnsafeQueueUserWorkItem(
            static s => _ = s.Owner.DrainAsync(s.Generation, s.Inherited), (Owner: this, Generation: generation, Inherited: inherited), preferLocal: false);

    private async Task DrainAsync(int generation, Acknowledgments? inherited)
    {
        if (inherited is not null && !Acknowledge(inherited, generation))
        {
            return;
        }

        var committed = new Acknowledgments();
        while (true)
        {
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
            }

            await RunBatchAsync(batch, committed.Writes).ConfigureAwait(false);
            batch.Clear();
            lock (_sync)
            {
                _spare = batch;
            }

            if (committed.Writes.Count > 0)
            {
                if (!Acknowledge(committed, generation))
                {
                    // A rescue took the rest over while a caller's code ran here.
                    return;
                }

                committed.Reset();
            }
        }
    }

    /// <summary>
    /// Completes the committed writes in order, each caller's continuation running inline here; returns whether this
    /// drainer is still the one (no rescue took over meanwhile).
    /// </summary>
    private bool Acknowledge(Acknowledgments committed, int generation)
    {
        Timer rescue;
        lock (_sync)
        {
            _acknowledging = committed;
            rescue = _rescue ??= new Timer(static s => ((GroupCommit)s!).Rescue(), this, Timeout.Infinite, Timeout.Infinite);
        }

        rescue.Change(RescueAfter, Timeout.InfiniteTimeSpan);
        committed.Run();
        lock (_sync)
        {
            if (generation != _generation)
            {
                return false;
            }

            _acknowledging = null;
            return true;
        }
    }

    /// <summary>
    /// The timer's turn while callers' continuations still hold the drainer: when writes wait, or callers wait for
    /// their acknowledgment, a new drainer takes both over; otherwise look again later.
    /// </summary>
    private void Rescue()
    {
        int generation;
        Acknowledgments held;
        lock (_sync)
        {
            if (_acknowledging is not { } acknowledging)
            {
                return;
            }

            if (_queue.Count == 0 && !acknowledging.HasPending)
            {
                _rescue?.Change(RescueAfter, Timeout.InfiniteTimeSpan);
                return;
            }

            held = acknowledging;
            _acknowledging = null;
            generation = ++_generation;
        }

        StartDrainer(generation, held);
    }

    private async Task RunBatchAsync(List<IQueuedWrite> batch, List<IQueuedWrite> committed)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(1);
        var waitedBefore = false;
        while (true)
        {
            await _writer.Gate.WaitAsync().ConfigureAwait(false);
            Outcome outcome;
            try
            {
                outcome = _writer.IsClosed ? Outcome.Closed : Execute(batch);
            }
            finally
            {
                _writer.Gate.Release();
            }

            switch (outcome)
            {
                case Outcome.Committed:
                    foreach (var item in batch)
                    {
                        if (item is not null)
                        {
                            committed.Add(item);
                        }
                    }

                    if (waitedBefore)
                    {
                        ReportBusyWaits(committed, Stopwatch.GetElapsedTime(started), gaveUp: false);
                    }

                    return;
                case Outcome.Closed:
                    FailAll(batch, new InvalidOperationException("The adapter was disconnected while writes were queued; call ConnectAsync before using its providers."));
                    return;
            }

            // Busy: nothing was written. Cancelled callers leave now; the rest wait, with backoff, within the budget.
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i] is { CancellationToken.IsCancellationRequested: true } cancelled)
                {
                    cancelled.Fail(new OperationCanceledException(cancelled.CancellationToken));
                    batch[i] = null!;
                }
            }

            batch.RemoveAll(static item => item is null);
            if (batch.Count == 0)
            {
                return;
            }

            waitedBefore = true;
            Observe(CountBusyWaits, batch);
            var waited = Stopwatch.GetElapsedTime(started);
            if (waited >= _busyTimeout)
            {
                ReportBusyWaits(batch, waited, gaveUp: true);
                var busy = new SqliteBusyException(SQLITE_BUSY, "database is locked");
                foreach (var item in batch)
                {
                    item.Fail(SqliteErrors.BusyTimeout(busy, waited, item.Operation, _writer.DataSource));
                }

                return;
            }

            var jittered = Backoff.Jitter(delay);
            var remaining = _busyTimeout - waited;
            await Task.Delay(jittered < remaining ? jittered : remaining).ConfigureAwait(false);
            delay = Backoff.Next(delay, TimeSpan.FromMilliseconds(50));
        }
    }

    private static void CountBusyWaits(List<IQueuedWrite> writes)
    {
        foreach (var write in writes)
        {
            PersistenceTelemetry.BusyWait("sqlite", write.Operation);
        }
    }

    /// <summary>Reports each write's busy wait once it ended, as a read's is (events never throw).</summary>
    private void ReportBusyWaits(List<IQueuedWrite> writes, TimeSpan waited, bool gaveUp)
    {
        foreach (var write in writes)
        {
            SqliteConnectionPool.ReportBusyWait(write.Operation, _writer.DataSource, waited, gaveUp);
        }
    }

    /// <summary>
    /// Runs the batch on the writer (whose gate the caller holds). Failed writes are completed here with their error;
    /// committed ones are left for the caller to complete after releasing the gate.
    /// </summary>
    private Outcome Execute(List<IQueuedWrite> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].CancellationToken.IsCancellationRequested)
            {
                batch[i].Fail(new OperationCanceledException(batch[i].CancellationToken));
                batch[i] = null!;
            }
        }

        batch.RemoveAll(static item => item is null);
        if (batch.Count == 0)
        {
            return Outcome.Committed;
        }

        if (batch.Count == 1)
        {
            return RunAlone(batch, 0);
        }

        // First without savepoints: a savepoint and its release cost about as much as the write itself when commits
        // are cheap (synchronous=NORMAL). Writes rarely fail; when one does, the whole transaction rolls back (nothing
        // was committed or acknowledged) and the batch runs again with a savepoint per write.
        var optimistic = TryBegin(batch);
        if (optimistic != Outcome.Committed || batch.Count == 0)
        {
            return optimistic;
        }

        var failed = false;
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                batch[i].Run(_writer);
            }
            catch (Exception)
            {
                failed = true;
                break;
            }
        }

        if (!failed)
        {
            return Commit(batch);
        }

        if (_writer.InTransactionNow)
        {
            sqlite3_exec(_writer.Handle, "ROLLBACK");
        }

        return ExecuteWithSavepoints(batch);
    }

    /// <summary>Runs the batch in one transaction with a savepoint around each write, so a failing write rolls back alone.</summary>
    private Outcome ExecuteWithSavepoints(List<IQueuedWrite> batch)
    {
        var begun = TryBegin(batch);
        if (begun != Outcome.Committed || batch.Count == 0)
        {
            return begun;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            try
            {
                _writer.Execute(SqlId.SavepointWrite, item.Operation);
                item.Run(_writer);
                _writer.Execute(SqlId.ReleaseWrite, item.Operation);
            }
            catch (Exception e) when (_writer.InTransactionNow && e is not SqliteBusyException)
            {
                // This write rolls back alone; its neighbors stay in the transaction.
                sqlite3_exec(_writer.Handle, "ROLLBACK TO nap_write; RELEASE nap_write;");
                item.Fail(e);
                batch[i] = null!;
            }
            catch (Exception)
            {
                // SQLite rolled the whole transaction back (a full disk, an I/O error) or the database turned busy:
                // nothing of this batch is committed, so run each write on its own, each failing or committing alone.
                if (_writer.InTransactionNow)
                {
                    sqlite3_exec(_writer.Handle, "ROLLBACK");
                }

                batch.RemoveAll(static item => item is null);
                return RunEachAlone(batch);
            }
        }

        batch.RemoveAll(static item => item is null);
        return Commit(batch);
    }

    /// <summary>
    /// Begins the batch's transaction: <see cref="Outcome.Committed"/> when begun, <see cref="Outcome.Busy"/> when the
    /// database is locked; any other failure fails (and removes) every write, and returns <see cref="Outcome.Committed"/>
    /// with an empty batch.
    /// </summary>
    private Outcome TryBegin(List<IQueuedWrite> batch)
    {
        try
        {
            _writer.Execute(SqlId.BeginImmediate, "group_commit");
            return Outcome.Committed;
        }
        catch (SqliteBusyException)
        {
            return Outcome.Busy;
        }
        catch (Exception e)
        {
            FailAll(batch, e);
            batch.Clear();
            return Outcome.Committed;
        }
    }

    private Outcome Commit(List<IQueuedWrite> batch)
    {
        try
        {
            _writer.Execute(SqlId.Commit, "group_commit");
        }
        catch (Exception)
        {
            if (_writer.InTransactionNow)
            {
                sqlite3_exec(_writer.Handle, "ROLLBACK");
            }

            return RunEachAlone(batch);
        }

        // Committed: from here nothing may send the group down the failure path again (it would run twice).
        TransactionsCommitted++;
        Observe(static writes => PersistenceTelemetry.GroupCommitted(writes.Count), batch);
        return Outcome.Committed;
    }

    /// <summary>
    /// Reports to meters and observers from the drainer: a listener's callback that throws must neither fail writes
    /// that committed nor stop the drainer.
    /// </summary>
    private static void Observe<TState>(Action<TState> report, TState state)
    {
        try
        {
            report(state);
        }
#pragma warning disable CA1031 // A listener's failure must never fail the writes or the drainer.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private Outcome RunEachAlone(List<IQueuedWrite> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (RunAlone(batch, i) == Outcome.Busy)
            {
                // Keep the writes not yet run in order. The committed ones are acknowledged now, on the thread pool: the
                // rest may wait out a busy database first.
                for (var done = 0; done < i; done++)
                {
                    batch[done]?.Complete(inline: false);
                }

                batch.RemoveRange(0, i);
                return Outcome.Busy;
            }
        }

        return Outcome.Committed;
    }

    private Outcome RunAlone(List<IQueuedWrite> batch, int index)
    {
        var item = batch[index];
        try
        {
            item.Run(_writer);
            TransactionsCommitted++;
            return Outcome.Committed;
        }
        catch (SqliteBusyException)
        {
            return Outcome.Busy;
        }
        catch (Exception e)
        {
            item.Fail(e);
            batch[index] = null!;
            return Outcome.Committed;
        }
    }

    private static void FailAll(List<IQueuedWrite> batch, Exception exception)
    {
        foreach (var item in batch)
        {
            item?.Fail(exception);
        }
    }

    /// <summary>
    /// The committed writes of one group, acknowledged in order. A drainer held by a caller's continuation and the
    /// drainer that rescues it may both work through the list: each write is claimed once.
    /// </summary>
    private sealed class Acknowledgments
    {
        private int _next;

        public List<IQueuedWrite> Writes { get; } = [];

        public bool HasPending => Volatile.Read(ref _next) < Writes.Count;

        public void Run()
        {
            int index;
            while ((index = Interlocked.Increment(ref _next) - 1) < Writes.Count)
            {
                try
                {
                    Writes[index].Complete(inline: true);
                }
                catch (Exception e)
                {
                    // An await never throws here; a hand-written continuation might. It fails on the thread pool, as
                    // it would have had it run there, and the others are still acknowledged.
                    var thrown = ExceptionDispatchInfo.Capture(e);
                    ThreadPool.UnsafeQueueUserWorkItem(static t => t.Throw(), thrown, preferLocal: false);
                }
            }
        }

        /// <summary>Empties the list for the next group; only its drainer calls this, and only when no rescue took it.</summary>
        public void Reset()
        {
            Writes.Clear();
            _next = 0;
        }
    }

    private enum Outcome
    {
        Committed,
        Busy,
        Closed,
    }
}
