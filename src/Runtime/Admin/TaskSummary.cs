namespace NativeAotPersistence;

/// <summary>One task with checkpoints, as <see cref="IPersistenceAdmin.ListTasksAsync"/> lists it.</summary>
/// <param name="TaskId">The task, without prefix.</param>
/// <param name="CheckpointCount">How many checkpoints it has.</param>
/// <param name="LatestSequence">The highest sequence.</param>
/// <param name="Progress">The latest checkpoint's progress, in percent.</param>
/// <param name="EstimatedTimeRemaining">The latest checkpoint's estimate.</param>
/// <param name="LatestTimestamp">When the latest checkpoint was taken.</param>
public sealed record TaskSummary(string TaskId, int CheckpointCount, long LatestSequence, int Progress, TimeSpan? EstimatedTimeRemaining, DateTimeOffset LatestTimestamp);
