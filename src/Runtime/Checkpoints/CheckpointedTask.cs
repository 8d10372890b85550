namespace NativeAotPersistence;

/// <summary>
/// Runs a long task that resumes from its latest checkpoint: the task gets the saved state through
/// <see cref="CheckpointContext{TState}"/>, saves progress as it goes, and on success its checkpoints are deleted;
/// on failure or cancellation they are kept so the next run resumes.
/// </summary>
public static class CheckpointedTask
{
    /// <summary>Runs <paramref name="task"/> under <paramref name="taskId"/>, resuming from its latest checkpoint.</summary>
    /// <typeparam name="TState">The task's state type (resolved through the adapter's payload context).</typeparam>
    /// <typeparam name="TResult">The task's result type.</typeparam>
    /// <param name="checkpoints">Where checkpoints live (for example <see cref="IPersistenceAdapter.Checkpoints"/>).</param>
    /// <param name="taskId">The task's id.</param>
    /// <param name="task">The work.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Passed to <paramref name="task"/>; cancelling keeps the checkpoints.</param>
    /// <returns>The task's result.</returns>
    public static ValueTask<TResult> RunAsync<TState, TResult>(
        ICheckpointProvider checkpoints,
        string taskId,
        Func<CheckpointContext<TState>, CancellationToken, ValueTask<TResult>> task,
        CheckpointedTaskOptions? options = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(checkpoints, taskId, task, options, typeInfo: null, cancellationToken);

    /// <summary>Runs <paramref name="task"/> under <paramref name="taskId"/>, resuming from its latest checkpoint.</summary>
    /// <typeparam name="TState">The task's state type.</typeparam>
    /// <typeparam name="TResult">The task's result type.</typeparam>
    /// <param name="checkpoints">Where checkpoints live (for example <see cref="IPersistenceAdapter.Checkpoints"/>).</param>
    /// <param name="taskId">The task's id.</param>
    /// <param name="task">The work.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="TState"/>; <see langword="null"/> resolves it through the provider's payload context.</param>
    /// <param name="cancellationToken">Passed to <paramref name="task"/>; cancelling keeps the checkpoints.</param>
    /// <returns>The task's result.</returns>
    public static async ValueTask<TResult> RunAsync<TState, TResult>(
        ICheckpointProvider checkpoints,
        string taskId,
        Func<CheckpointContext<TState>, CancellationToken, ValueTask<TResult>> task,
        CheckpointedTaskOptions? options,
        PayloadTypeInfo<TState>? typeInfo,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(task);
        options ??= new CheckpointedTaskOptions();
        options.Validate();

        var latest = typeInfo is null
            ? await checkpoints.LoadLatestAsync<TState>(taskId, cancellationToken).ConfigureAwait(false)
            : await checkpoints.LoadLatestAsync(taskId, typeInfo, cancellationToken).ConfigureAwait(false);
        typeInfo ??= ResolveTypeInfo<TState>(checkpoints);

        var context = new CheckpointContext<TState>(checkpoints, taskId, latest, typeInfo, options);
        var saver = options.AutoSaveInterval is not null ? new AutoSave<TState>(context) : null;
        using var autoSave = options.AutoSaveInterval is { } interval
            ? options.TimeProvider.CreateTimer(static s => ((AutoSave<TState>)s!).Tick(), saver, interval, interval)
            : null;

        TResult result;
        using var activity = PersistenceTelemetry.StartActivity("nap.checkpointed_task");
        activity?.SetTag("nap.checkpoint.task_id", taskId);
        activity?.SetTag("nap.checkpoint.resumed_from", context.Sequence);
        try
        {
            result = await task(context, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // An auto-save still in flight must land before RunAsync returns (and before a delete on success):
            // on a server backend it could otherwise arrive afterwards and leave a checkpoint behind.
            autoSave?.Dispose();
            if (saver is not null)
            {
                await saver.StopAsync().ConfigureAwait(false);
            }
        }

        if (options.DeleteOnSuccess)
        {
            await checkpoints.DeleteAllAsync(taskId, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    internal static string CheckpointId(string taskId, long sequence) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{taskId}#{sequence}");

    private static PayloadTypeInfo<TState> ResolveTypeInfo<TState>(ICheckpointProvider checkpoints) =>
        PayloadResolver.Resolve<TState>(checkpoints.Payloads);

    private sealed class AutoSave<TState>(CheckpointContext<TState> context)
    {
        private readonly Lock _sync = new();
        private Task? _inFlight;
        private bool _stopped;

        public void Tick()
        {
            lock (_sync)
            {
                if (_stopped || _inFlight is { IsCompleted: false })
                {
                    return;
                }

                // A failed auto-save is not the task's failure: the next tick, or the task's own save, tries again.
                _inFlight = context.FlushReportedAsync(CancellationToken.None).AsTask().ContinueWith(
                    static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        /// <summary>No tick starts a save after this; completes when the save in flight, if any, has landed.</summary>
        public Task StopAsync()
        {
            lock (_sync)
            {
                _stopped = true;
                return _inFlight ?? Task.CompletedTask;
            }
        }
    }
}
