namespace NativeAotPersistence;

/// <summary>The progress of a <see cref="CheckpointedTask"/> at a saved checkpoint.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Sequence">The sequence of the checkpoint just saved.</param>
/// <param name="Progress">Progress in percent, 0 to 100.</param>
/// <param name="EstimatedTimeRemaining">The estimate from the progress rate of this run, if there is one yet.</param>
public readonly record struct CheckpointProgress(string TaskId, long Sequence, int Progress, TimeSpan? EstimatedTimeRemaining);
