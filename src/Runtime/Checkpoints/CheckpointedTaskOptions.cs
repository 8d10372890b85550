namespace NativeAotPersistence;

/// <summary>How <see cref="CheckpointedTask"/> saves, keeps and reports a task's checkpoints.</summary>
public sealed class CheckpointedTaskOptions
{
    /// <summary>Gets how many checkpoints are kept while the task runs (the highest sequences). The default is 10.</summary>
    public int KeepCount { get; init; } = 10;

    /// <summary>
    /// Gets how often the last state given to <see cref="CheckpointContext{TState}.Report"/> is saved automatically;
    /// <see langword="null"/> (the default) saves only on <see cref="CheckpointContext{TState}.SaveAsync"/>.
    /// </summary>
    public TimeSpan? AutoSaveInterval { get; init; }

    /// <summary>Gets whether the task's checkpoints are deleted when it completes successfully. The default is <see langword="true"/>.</summary>
    public bool DeleteOnSuccess { get; init; } = true;

    /// <summary>Gets a receiver of every saved checkpoint's progress, for progress bars and logs.</summary>
    public IProgress<CheckpointProgress>? Progress { get; init; }

    /// <summary>Gets the clock for timestamps, the time-remaining estimate and auto-save. The default is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepCount, 1, nameof(KeepCount));
        if (AutoSaveInterval is { } interval && (interval <= TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan))
        {
            throw new ArgumentOutOfRangeException(nameof(AutoSaveInterval), interval, "AutoSaveInterval must be finite and positive.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
