namespace NativeAotPersistence;

/// <summary>A checkpoint without its data, as listed by <see cref="ICheckpointProvider.ListAsync(string, CancellationToken)"/>.</summary>
/// <param name="Id">The checkpoint's id.</param>
/// <param name="TaskId">The task it belongs to.</param>
/// <param name="Sequence">Its place in the task's sequence.</param>
/// <param name="Timestamp">When it was taken.</param>
/// <param name="Progress">Progress in percent, 0 to 100.</param>
/// <param name="EstimatedTimeRemaining">The estimated time to completion, if known.</param>
public sealed record CheckpointInfo(
    string Id,
    string TaskId,
    long Sequence,
    DateTimeOffset Timestamp,
    int Progress,
    TimeSpan? EstimatedTimeRemaining);
