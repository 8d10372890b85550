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
        using var autoSave = options.AutoSaveInterval is { } interval
            ? options.TimeProvider.CreateTimer(static s => ((AutoSave<TState>)s!).Tick(), new AutoSave<TState>(context), interval, interval)
            : null;

        var result = await task(context, cancellationToken).ConfigureAwait(false);
        autoSave?.Dispose();
        if (options.DeleteOnSuccess)
        {
            await checkpoints.DeleteAllAsync(taskId, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    internal static string CheckpointId(string taskId, long sequence) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{taskId}#{sequence}");

    private static PayloadTypeInfo<TState> ResolveTypeInfo<TState>(ICheckpointProvider checkpoints) =>
        PayloadResolver.Resolve<TState>(checkpoints is IPayloadContextOwner owner ? owner.Payloads : null);

    private sealed class AutoSave<TState>(CheckpointContext<TState> context)
    {
        private int _running;

        public void Tick()
        {
            if (Interlocked.Exchange(ref _running, 1) != 0)
            {
                return;
            }

            context.FlushReportedAsync(CancellationToken.None).AsTask().ContinueWith(
                (t, s) =>
                {
                    _ = t.Exception;
                    Volatile.Write(ref ((AutoSave<TState>)s!)._running, 0);
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
