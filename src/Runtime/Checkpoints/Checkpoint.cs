namespace NativeAotPersistence;

/// <summary>A saved point of progress of a long-running task, with its state.</summary>
/// <typeparam name="T">The task's state type.</typeparam>
/// <param name="Id">The checkpoint's id, unique within the adapter's prefix; saving the same id again replaces it.</param>
/// <param name="TaskId">The task it belongs to.</param>
/// <param name="Sequence">Its place in the task's sequence; the latest checkpoint has the highest.</param>
/// <param name="Timestamp">When it was taken (millisecond precision, UTC).</param>
/// <param name="Progress">Progress in percent, 0 to 100.</param>
/// <param name="Data">The task's state.</param>
/// <param name="EstimatedTimeRemaining">The estimated time to completion, if known.</param>
public sealed record Checkpoint<T>(
    string Id,
    string TaskId,
    long Sequence,
    DateTimeOffset Timestamp,
    int Progress,
    T Data,
    TimeSpan? EstimatedTimeRemaining = null);
