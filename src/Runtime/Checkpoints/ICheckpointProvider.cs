namespace NativeAotPersistence;

/// <summary>Stores checkpoints of long-running tasks so a later run can resume from the latest one.</summary>
public interface ICheckpointProvider
{
    /// <summary>
    /// Gets the generated serializers this provider resolves state types through (its adapter's
    /// <see cref="PersistenceAdapterOptions.Payloads"/>), for helpers such as <see cref="CheckpointedTask"/>. A decorator
    /// returns its inner provider's.
    /// </summary>
    PayloadContext? Payloads { get; }

    /// <summary>Saves <paramref name="checkpoint"/>, replacing one with the same id.</summary>
    /// <typeparam name="T">The state type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="checkpoint">The checkpoint; its progress must be 0 to 100.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, CancellationToken cancellationToken = default);

    /// <summary>Saves <paramref name="checkpoint"/>, replacing one with the same id.</summary>
    /// <typeparam name="T">The state type.</typeparam>
    /// <param name="checkpoint">The checkpoint; its progress must be 0 to 100.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Loads the task's checkpoint with the highest sequence, or <see langword="null"/>.</summary>
    /// <typeparam name="T">The state type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="taskId">The task.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Loads the task's checkpoint with the highest sequence, or <see langword="null"/>.</summary>
    /// <typeparam name="T">The state type.</typeparam>
    /// <param name="taskId">The task.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Loads one checkpoint by id, or <see langword="null"/>.</summary>
    /// <typeparam name="T">The state type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="checkpointId">The checkpoint's id.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, CancellationToken cancellationToken = default);

    /// <summary>Loads one checkpoint by id, or <see langword="null"/>.</summary>
    /// <typeparam name="T">The state type.</typeparam>
    /// <param name="checkpointId">The checkpoint's id.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Lists the task's checkpoints without their data, by ascending sequence.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<CheckpointInfo>> ListAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Lists the task's checkpoints with their data, by ascending sequence.</summary>
    /// <typeparam name="T">The state type, resolved through <see cref="PersistenceAdapterOptions.Payloads"/>.</typeparam>
    /// <param name="taskId">The task.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Lists the task's checkpoints with their data, by ascending sequence.</summary>
    /// <typeparam name="T">The state type.</typeparam>
    /// <param name="taskId">The task.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Keeps the task's <paramref name="keepCount"/> checkpoints with the highest sequences and removes the rest.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="keepCount">How many to keep; 0 keeps none.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask CleanupAsync(string taskId, int keepCount, CancellationToken cancellationToken = default);

    /// <summary>Removes every checkpoint of the task.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask DeleteAllAsync(string taskId, CancellationToken cancellationToken = default);
}
