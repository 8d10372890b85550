namespace NativeAotPersistence.Extensions.Internal;

/// <summary>
/// Runs an async provider call to completion for <c>IDistributedCache</c>'s synchronous members. The call starts
/// with no <see cref="SynchronizationContext"/>, so no continuation inside it can be queued to a context whose thread
/// is the one blocked here (the classic UI/ASP.NET deadlock); a call that completes synchronously never blocks.
/// </summary>
internal static class SyncOverAsync
{
    public static T Run<TState, T>(TState state, Func<TState, ValueTask<T>> operation)
    {
        var previous = SynchronizationContext.Current;
        ValueTask<T> pending;
        try
        {
            SynchronizationContext.SetSynchronizationContext(null);
            pending = operation(state);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    public static void Run<TState>(TState state, Func<TState, ValueTask> operation)
    {
        var previous = SynchronizationContext.Current;
        ValueTask pending;
        try
        {
            SynchronizationContext.SetSynchronizationContext(null);
            pending = operation(state);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        if (pending.IsCompletedSuccessfully)
        {
            return;
        }

        pending.AsTask().GetAwaiter().GetResult();
    }
}
