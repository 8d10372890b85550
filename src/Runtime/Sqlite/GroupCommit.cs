using System.Diagnostics;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// Group commit for the writer connection. A write that finds the writer free runs and commits inline; writes that
/// arrive while it is busy queue up, and one drainer takes the whole queue into one transaction and completes each
/// caller only after the commit. When a write of the group fails, the transaction rolls back and the group runs again
/// with one savepoint per write, so the failing write rolls back alone.
/// </summary>
internal sealed class GroupCommit
{
    private readonly SqliteConnection _writer;
    private readonly TimeSpan _busyTimeout;
    private readonly Lock _sync = new();
    private List<IQueuedWrite> _queue = [];
    private List<IQueuedWrite> _spare = [];
    private volatile bool _draining;

    public GroupCommit(SqliteConnection writer, TimeSpan busyTimeout)
    {
        _writer = writer;
        _busyTimeout = busyTimeout;
    }

    /// <summary>Gets whether no write is queued or being drained, so a new write may run inline without overtaking.</summary>
    public bool IsIdle => !_draining;

    public ValueTask<TResult> Enqueue<TState, TResult>(string operation, TState state, Func<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        var item = QueuedWrite<TState, TResult>.Rent(operation, state, body, cancellationToken);
        var task = item.Task;
        bool start;
        lock (_sync)
        {
            _queue.Add(item);
            start = !_draining;
            _draining = true;
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => _ = ((GroupCommit)s!).DrainAsync(), this);
        }

        return task;
    }

    private async Task DrainAsync()
    {
        // The callers a batch just completed are about to write again; their continuations run on the thread pool.
        // Before committing the next group (or handing the writer back to inline writes), give them a few turns to
        // enqueue, up to as many writes as the last group held: that is what makes the groups grow.
        const int MaxTurns = 4;
        var lastGroup = 0;
        var turns = 0;
        while (true)
        {
            List<IQueuedWrite> batch;
            lock (_sync)
            {
                var waiting = _queue.Count;
                if (waiting < lastGroup && turns < MaxTurns)
                {
                    batch = null!;
                }
                else if (waiting == 0)
                {
                    _draining = false;
                    return;
                }
                else
                {
                    batch = _queue;
                    _queue = _spare;
                }
            }

            if (batch is null)
            {
                turns++;
                await Task.Yield();
                continue;
            }

            lastGroup = batch.Count;
            turns = 0;
            await RunBatchAsync(batch).ConfigureAwait(false);
            batch.Clear();
            lock (_sync)
            {
                _spare = batch;
            }
        }
    }

    private async Task RunBatchAsync(List<IQueuedWrite> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(1);
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
                            item.Complete();
                        }
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

            var waited = Stopwatch.GetElapsedTime(started);
            if (waited >= _busyTimeout)
            {
                var busy = new SqliteBusyException(SQLITE_BUSY, "database is locked");
                foreach (var item in batch)
                {
                    item.Fail(SqliteErrors.BusyTimeout(busy, waited, item.Operation, _writer.DataSource));
                }

                return;
            }

            var jittered = delay * (0.5 + (Random.Shared.NextDouble() * 0.5));
            var remaining = _busyTimeout - waited;
            await Task.Delay(jittered < remaining ? jittered : remaining).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
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
            PersistenceTelemetry.GroupCommitted(batch.Count);

            return Outcome.Committed;
        }
        catch (Exception)
        {
            if (_writer.InTransactionNow)
            {
                sqlite3_exec(_writer.Handle, "ROLLBACK");
            }

            return RunEachAlone(batch);
        }
    }

    private Outcome RunEachAlone(List<IQueuedWrite> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (RunAlone(batch, i) == Outcome.Busy)
            {
                // Keep the writes not yet run (and the committed ones, completed below by the caller) in order.
                for (var done = 0; done < i; done++)
                {
                    batch[done]?.Complete();
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

    private enum Outcome
    {
        Committed,
        Busy,
        Closed,
    }
}
