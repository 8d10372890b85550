using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// The connections of one adapter: one writer and zero or more readers (readers are the writer when there are
/// none). Runs operations on them: synchronously when a connection is free, which completes the caller's
/// <see cref="ValueTask"/> inline; asynchronously when it must wait for a connection or for a busy database.
/// </summary>
internal sealed class SqliteConnectionPool : IDisposable
{
    private readonly SqliteConnection[] _readers;
    private readonly TimeSpan _busyTimeout;

    private readonly GroupCommit _groupCommit;

    public SqliteConnectionPool(SqliteConnection writer, SqliteConnection[] readers, TimeSpan busyTimeout)
    {
        Writer = writer;
        _readers = readers.Length == 0 ? [writer] : readers;
        _busyTimeout = busyTimeout;
        _groupCommit = new GroupCommit(writer, busyTimeout);
    }

    public SqliteConnection Writer { get; }

    public string DataSource => Writer.DataSource;

    public IReadOnlyList<SqliteConnection> Readers => _readers;

    /// <summary>Gets how long an operation waits out a busy database (<see cref="TimeSpan.MaxValue"/> for no limit).</summary>
    public TimeSpan BusyTimeout => _busyTimeout;

    /// <summary>
    /// Runs a write on the writer connection: inline when the writer is free (the caller's task completes
    /// synchronously), otherwise queued for the next group commit. Either way the task completes only after the
    /// write committed.
    /// </summary>
    public unsafe ValueTask<TResult> WriteAsync<TState, TResult>(
        string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken) =>
        PersistenceTelemetry.TimesOperations
            ? PersistenceTelemetry.Timed("sqlite", operation, Stopwatch.GetTimestamp(), Write(operation, state, body, cancellationToken))
            : Write(operation, state, body, cancellationToken);

    /// <summary>Runs a read on a free reader connection (the writer when there are no readers).</summary>
    public unsafe ValueTask<TResult> ReadAsync<TState, TResult>(
        string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken) =>
        PersistenceTelemetry.TimesOperations
            ? PersistenceTelemetry.Timed("sqlite", operation, Stopwatch.GetTimestamp(), Read(operation, state, body, cancellationToken))
            : Read(operation, state, body, cancellationToken);

    /// <summary>
    /// Runs a statement that cannot run inside a transaction (<c>VACUUM</c>, a WAL checkpoint) on the writer
    /// connection, alone: it waits its turn at the writer's gate (behind the write or group holding it), and the writes
    /// that arrive while it runs queue behind it. The writer holds no transaction while its gate is free (every write
    /// commits or rolls back before releasing it), so the body starts outside one, unless a borrowed handle's owner
    /// opened one. A busy database is waited for with backoff within the busy timeout, the gate released between tries.
    /// For rare maintenance only: it always takes the slow path, and is not timed by the operation metrics (each timed
    /// result type is one more set of instantiations in a NativeAOT binary). A free gate admits a call whose token is
    /// already cancelled, so a body that must not start then checks the token itself.
    /// </summary>
    public unsafe ValueTask<TResult> WriteAloneAsync<TState, TResult>(
        string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken) =>
        RunSlowAsync(Writer, operation, Bind(state, body), cancellationToken);

    private unsafe ValueTask<TResult> Write<TState, TResult>(
        string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TResult>(cancellationToken);
        }

        var connection = Writer;
        if (_groupCommit.IsIdle && connection.Gate.TryEnter()
            && TryRun(connection, operation, state, body, out var result, out var error))
        {
            return error is null ? new ValueTask<TResult>(result) : ValueTask.FromException<TResult>(error);
        }

        // The writer is busy, or the database is (another connection writes): queue. A write that found the database
        // busy waits in the queue, with backoff and the busy budget, so a later write of the same caller queues
        // behind it instead of overtaking it.
        return _groupCommit.Enqueue(operation, state, body, cancellationToken);
    }

    private unsafe ValueTask<TResult> Read<TState, TResult>(
        string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TResult>(cancellationToken);
        }

        var connection = EnterReader(out var entered);
        if (entered && TryRun(connection, operation, state, body, out var result, out var error))
        {
            return error is null ? new ValueTask<TResult>(result) : ValueTask.FromException<TResult>(error);
        }

        // Every reader was busy, or the database was (another connection writes): wait for this reader.
        return RunSlowAsync(connection, operation, Bind(state, body), cancellationToken);
    }

    /// <summary>
    /// Enters a free reader for a read its caller runs inline, as <see cref="TryRun"/> does (the cache's get): false, with
    /// nothing entered, when the call is cancelled, operations are being timed, or every reader is busy; the caller
    /// then goes through <see cref="ReadAsync"/>.
    /// </summary>
    public bool TryEnterReaderInline(CancellationToken cancellationToken, out SqliteConnection connection)
    {
        if (cancellationToken.IsCancellationRequested || PersistenceTelemetry.TimesOperations)
        {
            connection = null!;
            return false;
        }

        var readers = _readers;
        if (readers.Length == 1)
        {
            connection = readers[0];
            return connection.Gate.TryEnter();
        }

        connection = EnterReader(out var entered);
        return entered;
    }

    /// <summary>
    /// Picks the reader for a read: a free one, whose gate it entered (<paramref name="entered"/>), or else the one to
    /// wait for. Not generic, so NativeAOT carries it once rather than once per read operation.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private SqliteConnection EnterReader(out bool entered)
    {
        var readers = _readers;
        if (readers.Length == 1)
        {
            // One connection (`:memory:`, a borrowed handle, no readers): the shortest path.
            entered = readers[0].Gate.TryEnter();
            return readers[0];
        }

        // A thread starts at the same reader each time: no shared counter to bounce between cores, and the reader's
        // SQLite structures (statements, page cache) stay in that core's cache.
        var start = (int)((uint)Environment.CurrentManagedThreadId % (uint)readers.Length);
        for (var i = 0; i < readers.Length; i++)
        {
            var connection = readers[(start + i) % readers.Length];
            if (connection.Gate.TryEnter())
            {
                entered = true;
                return connection;
            }
        }

        entered = false;
        return readers[start];
    }

    /// <summary>Waits for every connection to be free, then closes them all.</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        _groupCommit.Dispose();
        var all = AllConnections();
        foreach (var connection in all)
        {
            await connection.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // Readers first: the writer's close may checkpoint the WAL, which goes faster with no readers open.
            foreach (var connection in all)
            {
                if (connection != Writer)
                {
                    connection.Dispose();
                }
            }

            Writer.Dispose();
        }
        finally
        {
            foreach (var connection in all)
            {
                connection.Gate.Release();
            }
        }
    }

    public void Dispose()
    {
        _groupCommit.Dispose();
        foreach (var connection in AllConnections())
        {
            connection.Gate.Wait();
            try
            {
                connection.Dispose();
            }
            finally
            {
                connection.Gate.Release();
            }
        }
    }

    private List<SqliteConnection> AllConnections()
    {
        var all = new List<SqliteConnection>(_readers.Length + 1) { Writer };
        foreach (var reader in _readers)
        {
            if (reader != Writer)
            {
                all.Add(reader);
            }
        }

        return all;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a connection whose gate the caller holds, and releases the gate. Returns
    /// <see langword="false"/> when the database was busy (nothing was done); other failures propagate.
    /// </summary>
    private static unsafe bool TryRun<TState, TResult>(
        SqliteConnection connection, string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, out TResult result, out Exception? error)
    {
        error = null;
        try
        {
            ThrowIfClosed(connection, operation);
            result = body(connection, state);
            return true;
        }
        catch (SqliteBusyException)
        {
            result = default!;
            return false;
        }
        catch (Exception e)
        {
            // A failure (full, read-only, corrupt, a payload error) belongs in the returned task, as it does when the call
            // waits: throwing it from the call itself would break callers that start several operations and await later.
            result = default!;
            error = e;
            return true;
        }
        finally
        {
            connection.Gate.Release();
        }
    }

    // The slow path allocates one bound body (the state and the function pointer), so its async state machine exists
    // once per result type in a NativeAOT binary instead of once per (state, result) pair.
    private static unsafe SlowBody<TResult> Bind<TState, TResult>(TState state, delegate*<SqliteConnection, TState, TResult> body) =>
        new Bound<TState, TResult>(state, body);

    private async ValueTask<TResult> RunSlowAsync<TResult>(
        SqliteConnection connection, string operation, SlowBody<TResult> body, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = new Backoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(50));
        var waitedBefore = false;
        while (true)
        {
            await connection.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            SqliteBusyException busy;
            try
            {
                ThrowIfClosed(connection, operation);
                var result = body.Run(connection);
                if (waitedBefore)
                {
                    ReportBusyWait(operation, connection.DataSource, Stopwatch.GetElapsedTime(started), gaveUp: false);
                }

                return result;
            }
            catch (SqliteBusyException e)
            {
                busy = e;
                PersistenceTelemetry.BusyWait("sqlite", operation);
            }
            finally
            {
                connection.Gate.Release();
            }

            waitedBefore = true;
            var waited = Stopwatch.GetElapsedTime(started);
            if (waited >= _busyTimeout)
            {
                ReportBusyWait(operation, connection.DataSource, waited, gaveUp: true);
                throw SqliteErrors.BusyTimeout(busy, waited, operation, connection.DataSource);
            }

            // Jittered exponential backoff, never past the budget.
            await Task.Delay(backoff.NextDelay(_busyTimeout - waited), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reports one operation's busy wait once it ended (succeeded or gave up); also the group commit's.</summary>
    internal static void ReportBusyWait(string operation, string dataSource, TimeSpan waited, bool gaveUp)
    {
        if (PersistenceEvents.IsEnabled)
        {
            PersistenceEvents.BusyWait(new PersistenceBusyWait("sqlite", operation, dataSource, waited, gaveUp));
        }
    }

    internal static void ThrowIfClosed(SqliteConnection connection, string operation)
    {
        if (connection.IsClosed)
        {
            ThrowClosed(operation);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowClosed(string operation) =>
        throw new InvalidOperationException(
            $"The adapter was disconnected while '{operation}' was waiting; call ConnectAsync before using its providers.");

    /// <summary>A read's body bound to its state, for the slow path: generic over the result alone, as its caller is.</summary>
    private abstract class SlowBody<TResult>
    {
        public abstract TResult Run(SqliteConnection connection);
    }

    /// <summary>A read's state and its body's function pointer, allocated only when the read must wait.</summary>
    private sealed unsafe class Bound<TState, TResult>(TState state, delegate*<SqliteConnection, TState, TResult> body) : SlowBody<TResult>
    {
        public override TResult Run(SqliteConnection connection) => body(connection, state);
    }
}
