namespace NativeAotPersistence;

/// <summary>What a task run by <see cref="CheckpointedTask"/> sees: the state it resumes from and how to save progress.</summary>
/// <typeparam name="TState">The task's state type.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never used holds nothing to dispose.")]
public sealed class CheckpointContext<TState>
{
    private readonly ICheckpointProvider _checkpoints;
    private readonly PayloadTypeInfo<TState> _typeInfo;
    private readonly CheckpointedTaskOptions _options;
    private readonly SemaphoreSlim _saving = new(1, 1);
    private readonly long _startedAt;
    private readonly int _startProgress;
    private (TState State, int Progress, long Version)? _reported;
    private long _savedVersion;

    internal CheckpointContext(ICheckpointProvider checkpoints, string taskId, Checkpoint<TState>? resumed, PayloadTypeInfo<TState> typeInfo, CheckpointedTaskOptions options)
    {
        _checkpoints = checkpoints;
        _typeInfo = typeInfo;
        _options = options;
        TaskId = taskId;
        Resumed = resumed;
        Data = resumed is null ? default : resumed.Data;
        Sequence = resumed?.Sequence ?? 0;
        Progress = resumed?.Progress ?? 0;
        _startProgress = Progress;
        _startedAt = options.TimeProvider.GetTimestamp();
    }

    /// <summary>Gets the task's id.</summary>
    public string TaskId { get; }

    /// <summary>Gets the checkpoint this run resumed from, or <see langword="null"/> for a fresh start.</summary>
    public Checkpoint<TState>? Resumed { get; }

    /// <summary>Gets whether this run resumes from a checkpoint.</summary>
    public bool IsResumed => Resumed is not null;

    /// <summary>Gets the state of the latest saved checkpoint (the resumed one at first), or <see langword="default"/>.</summary>
    public TState? Data { get; private set; }

    /// <summary>Gets the sequence of the latest saved checkpoint; 0 before the first.</summary>
    public long Sequence { get; private set; }

    /// <summary>Gets the progress of the latest saved checkpoint, in percent.</summary>
    public int Progress { get; private set; }

    /// <summary>Gets the time-remaining estimate of the latest saved checkpoint.</summary>
    public TimeSpan? EstimatedTimeRemaining { get; private set; }

    /// <summary>
    /// Saves <paramref name="state"/> as the next checkpoint of the sequence, with an estimated time remaining from the
    /// progress rate of this run, and keeps the <see cref="CheckpointedTaskOptions.KeepCount"/> latest.
    /// </summary>
    /// <param name="state">The state to resume from.</param>
    /// <param name="progress">Progress in percent, 0 to 100.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    public async ValueTask SaveAsync(TState state, int progress, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(progress, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(progress, 100);
        await _saving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SaveLockedAsync(state, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>
    /// Records the current state without saving it; the auto-save (<see cref="CheckpointedTaskOptions.AutoSaveInterval"/>)
    /// saves the latest reported state when it fires.
    /// </summary>
    /// <param name="state">The current state.</param>
    /// <param name="progress">Progress in percent, 0 to 100.</param>
    public void Report(TState state, int progress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(progress, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(progress, 100);
        lock (_saving)
        {
            _reported = (state, progress, (_reported?.Version ?? 0) + 1);
        }
    }

    /// <summary>Saves the latest reported state if it was not saved yet.</summary>
    internal async ValueTask FlushReportedAsync(CancellationToken cancellationToken)
    {
        (TState State, int Progress, long Version)? reported;
        lock (_saving)
        {
            reported = _reported;
        }

        if (reported is not { } r || r.Version <= Volatile.Read(ref _savedVersion))
        {
            return;
        }

        await _saving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (r.Version > _savedVersion)
            {
                await SaveLockedAsync(r.State, r.Progress, cancellationToken).ConfigureAwait(false);
                _savedVersion = r.Version;
            }
        }
        finally
        {
            _saving.Release();
        }
    }

    private async ValueTask SaveLockedAsync(TState state, int progress, CancellationToken cancellationToken)
    {
        var sequence = Sequence + 1;
        var eta = Estimate(progress);
        var checkpoint = new Checkpoint<TState>(
            CheckpointedTask.CheckpointId(TaskId, sequence), TaskId, sequence, _options.TimeProvider.GetUtcNow(), progress, state, eta);
        await _checkpoints.SaveAsync(checkpoint, _typeInfo, cancellationToken).ConfigureAwait(false);
        await _checkpoints.CleanupAsync(TaskId, _options.KeepCount, cancellationToken).ConfigureAwait(false);
        (Sequence, Progress, Data, EstimatedTimeRemaining) = (sequence, progress, state, eta);
        _options.Progress?.Report(new CheckpointProgress(TaskId, sequence, progress, eta));
    }

    /// <summary>Remaining = elapsed × (100 − progress) ÷ (progress made in this run); none until progress is made.</summary>
    private TimeSpan? Estimate(int progress)
    {
        if (progress >= 100)
        {
            return TimeSpan.Zero;
        }

        var made = progress - _startProgress;
        if (made <= 0)
        {
            return null;
        }

        var elapsed = _options.TimeProvider.GetElapsedTime(_startedAt);
        return TimeSpan.FromTicks((long)(elapsed.Ticks * ((100.0 - progress) / made)));
    }
}
