using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace NativeAotPersistence.Sqlite;

/// <summary>A write waiting for the next group commit, as the committing thread sees it.</summary>
internal interface IQueuedWrite
{
    string Operation { get; }

    CancellationToken CancellationToken { get; }

    /// <summary>Runs the write's body on the writer connection and keeps its result; failures propagate.</summary>
    void Run(SqliteConnection connection);

    /// <summary>
    /// Hands the caller its outcome (the kept result, or <paramref name="error"/>) on the thread pool, never on the
    /// calling thread. <paramref name="report"/> is measured and reported on that thread too, before the caller resumes.
    /// </summary>
    void Deliver(Exception? error, in WriteReport report);

    /// <summary>
    /// Delivers the outcome on this thread, if the thread pool has not yet: the rescue of a starved pool. Returns
    /// whether this call delivered it.
    /// </summary>
    bool TryDeliverHere(long ticket);

    /// <summary>Gets the ticket of the delivery under way (0 when none), to rescue exactly that one later.</summary>
    long Ticket { get; }
}

/// <summary>What a write's delivery reports, on the caller's side: its group's size and its wait for a busy database.</summary>
internal readonly record struct WriteReport(int GroupSize, TimeSpan BusyWait, bool GaveUp, string? DataSource);

/// <summary>
/// A queued write and the <see cref="IValueTaskSource{TResult}"/> its caller awaits; pooled per type, so a queued write
/// allocates nothing once warm. Its outcome is delivered by a thread-pool work item that sets it inline, so the
/// caller's continuation runs on a thread-pool thread, exactly as with <c>RunContinuationsAsynchronously</c>; should the
/// pool be starved, <see cref="GroupCommit"/> delivers it on a rescue thread instead (see <see cref="TryDeliverHere"/>).
/// </summary>
/// <remarks>
/// Everything that does not depend on the write's state lives here, generic over the result alone: a NativeAOT binary
/// then carries this code once per result type (a handful), not once per operation's state type (dozens), and only the
/// small <see cref="QueuedWrite{TState, TResult}"/> is made per operation.
/// </remarks>
internal abstract class QueuedWriteCore<TResult> : IQueuedWrite, IValueTaskSource<TResult>, IThreadPoolWorkItem
{
    private static long s_lastTicket;

    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = false };
    private Exception? _error;
    private WriteReport _report;
    private long _ticket;

    // Who still uses this rental: the delivery (until it has completed the caller) and the caller (until GetResult).
    // The last one out returns it to the pool, so a delivery still inside SetResult never sees it reused.
    private int _users;
    private int _delivered;
    private int _callerDone;

    public string Operation { get; private set; } = "";

    public CancellationToken CancellationToken { get; private set; }

    public ValueTask<TResult> Task => new(this, _core.Version);

    public long Ticket => Volatile.Read(ref _ticket);

    /// <summary>Gets or sets the result the body returned.</summary>
    protected TResult Result { get; set; } = default!;

    public abstract void Run(SqliteConnection connection);

    public void Deliver(Exception? error, in WriteReport report)
    {
        if (Interlocked.Exchange(ref _delivered, 1) != 0)
        {
            // Once per rental: the committing thread's last resort may fail a write whose delivery was already under way.
            return;
        }

        _error = error;
        _report = report;

        // A ticket no other delivery ever had: a rescue that comes late finds it taken (or replaced) and does nothing.
        Volatile.Write(ref _ticket, Interlocked.Increment(ref s_lastTicket));
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public bool TryDeliverHere(long ticket)
    {
        if (ticket == 0 || Interlocked.CompareExchange(ref _ticket, 0, ticket) != ticket)
        {
            return false;
        }

        SetOutcome();
        return true;
    }

    void IThreadPoolWorkItem.Execute()
    {
        var ticket = Volatile.Read(ref _ticket);
        if (ticket != 0 && Interlocked.CompareExchange(ref _ticket, 0, ticket) == ticket)
        {
            SetOutcome();
        }
    }

    public TResult GetResult(short token)
    {
        // A wrong token or a result not there yet throws before the caller's share is given up: awaiting a ValueTask
        // twice must not hand this rental back to the pool while its real caller still waits.
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            return _core.GetResult(token);
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (Interlocked.Exchange(ref _callerDone, 1) == 0)
            {
                Release();
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Starts a rental: the caller and the delivery both hold it.</summary>
    protected void Start(string operation, CancellationToken cancellationToken)
    {
        Operation = operation;
        CancellationToken = cancellationToken;
        _users = 2;
        _delivered = 0;
        _callerDone = 0;
    }

    /// <summary>Clears the rental's state and gives the object back to its type's pool.</summary>
    protected abstract void Return();

    /// <summary>Forgets the outcome, so the pool holds no result, error or caller.</summary>
    protected void ResetCore()
    {
        _core.Reset();
        Result = default!;
        _error = null;
        _report = default;
        CancellationToken = default;
    }

    /// <summary>Reports, then completes the caller inline: on the thread that claimed the delivery, never the committing one.</summary>
    private void SetOutcome()
    {
        GroupCommit.Report(Operation, _report);
        if (_error is { } error)
        {
            _error = null;
            _core.SetException(error);
        }
        else
        {
            _core.SetResult(Result);
        }

        Release();
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _users) == 0)
        {
            Return();
        }
    }
}

/// <summary>The part of a queued write that knows its state: the body to run with it, and the pool of its type.</summary>
internal sealed class QueuedWrite<TState, TResult> : QueuedWriteCore<TResult>
{
    private const int MaxPooled = 64;
    private static readonly Lock s_poolSync = new();

    // A stack of pooled instances in an object[] (never an array or Stack of this type): NativeAOT would otherwise carry
    // an array type, its list interfaces, enumerators and comparers for each of the dozens of operations (~1.5 KB each).
    private static readonly object?[] s_pool = new object?[MaxPooled];
    private static int s_pooled;

    private TState _state = default!;
    private unsafe delegate*<SqliteConnection, TState, TResult> _body;

    public static unsafe QueuedWrite<TState, TResult> Rent(string operation, TState state, delegate*<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        QueuedWrite<TState, TResult>? item = null;
        lock (s_poolSync)
        {
            if (s_pooled > 0)
            {
                item = Unsafe.As<QueuedWrite<TState, TResult>>(s_pool[--s_pooled]);
                s_pool[s_pooled] = null;
            }
        }

        item ??= new QueuedWrite<TState, TResult>();
        item._state = state;
        item._body = body;
        item.Start(operation, cancellationToken);
        return item;
    }

    public override unsafe void Run(SqliteConnection connection) => Result = _body(connection, _state);

    protected override unsafe void Return()
    {
        ResetCore();
        _state = default!;
        _body = null;
        lock (s_poolSync)
        {
            if (s_pooled < MaxPooled)
            {
                s_pool[s_pooled++] = this;
            }
        }
    }
}
