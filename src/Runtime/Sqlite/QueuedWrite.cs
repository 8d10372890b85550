using System.Threading.Tasks.Sources;

namespace NativeAotPersistence.Sqlite;

/// <summary>A write waiting for the next group commit, as the batch runner sees it.</summary>
internal interface IQueuedWrite
{
    string Operation { get; }

    CancellationToken CancellationToken { get; }

    /// <summary>Runs the write's body on the writer connection and keeps its result; failures propagate.</summary>
    void Run(SqliteConnection connection);

    /// <summary>
    /// Publishes the kept result: called only after the transaction that holds the write committed. With
    /// <paramref name="inline"/> the caller's continuation runs on this thread before the call returns; otherwise
    /// on the thread pool.
    /// </summary>
    void Complete(bool inline);

    /// <summary>Fails the write; the caller's continuation runs on the thread pool, never on the failing thread.</summary>
    void Fail(Exception exception);
}

/// <summary>
/// A queued write and the <see cref="IValueTaskSource{TResult}"/> its caller awaits; pooled per type, so a queued
/// write allocates nothing once warm. A failure's continuation runs on the thread pool; a commit's runs where
/// <see cref="GroupCommit"/> asks, inline on its drainer after the writer is released, or on the thread pool.
/// </summary>
internal sealed class QueuedWrite<TState, TResult> : IQueuedWrite, IValueTaskSource<TResult>
{
    private const int MaxPooled = 64;
    private static readonly Lock s_poolSync = new();
    private static readonly Stack<QueuedWrite<TState, TResult>> s_pool = new();

    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = true };
    private TState _state = default!;
    private Func<SqliteConnection, TState, TResult> _body = null!;
    private TResult _result = default!;

    public string Operation { get; private set; } = "";

    public CancellationToken CancellationToken { get; private set; }

    public ValueTask<TResult> Task => new(this, _core.Version);

    public static QueuedWrite<TState, TResult> Rent(string operation, TState state, Func<SqliteConnection, TState, TResult> body, CancellationToken cancellationToken)
    {
        QueuedWrite<TState, TResult>? item = null;
        lock (s_poolSync)
        {
            s_pool.TryPop(out item);
        }

        item ??= new QueuedWrite<TState, TResult>();
        item.Operation = operation;
        item._state = state;
        item._body = body;
        item.CancellationToken = cancellationToken;
        return item;
    }

    public void Run(SqliteConnection connection) => _result = _body(connection, _state);

    public void Complete(bool inline)
    {
        _core.RunContinuationsAsynchronously = !inline;
        _core.SetResult(_result);
    }

    public void Fail(Exception exception)
    {
        _core.RunContinuationsAsynchronously = true;
        _core.SetException(exception);
    }

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Return()
    {
        _core.Reset();
        _state = default!;
        _body = null!;
        _result = default!;
        CancellationToken = default;
        lock (s_poolSync)
        {
            if (s_pool.Count < MaxPooled)
            {
                s_pool.Push(this);
            }
        }
    }
}
