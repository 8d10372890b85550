using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>The in-memory checkpoints: the rows of <see cref="SqliteCheckpointProvider"/> in a <see cref="CheckpointTable"/>.</summary>
internal sealed partial class InMemoryCheckpointProvider : InMemoryProvider, ICheckpointProvider
{
    private readonly KeyNamespace _ids;
    private readonly KeyNamespace _tasks;
    private readonly CheckpointTable _table;

    public InMemoryCheckpointProvider(InMemoryContext context)
        : base(context)
    {
        _ids = new KeyNamespace(Prefix, "checkpoint");
        _tasks = new KeyNamespace(Prefix, "task");
        _table = Store.Checkpoints;
    }

    public ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, CancellationToken cancellationToken = default) =>
        SaveAsync(checkpoint, Resolve<T>(), cancellationToken);

    public ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckpointRules.Validate(checkpoint);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var now = NowMs;
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var data = typeInfo.SerializeFor(checkpoint.Id, checkpoint.Data);
        var id = _ids.Stored(checkpoint.Id);
        lock (_table.Sync)
        {
            // An upsert keeps created_at, as SQLite's ON CONFLICT DO UPDATE does.
            var createdAt = _table.TryGet(id, out var existing) ? existing.CreatedAtMs : now;
            _table.Put(id, new CheckpointRow(
                _tasks.Stored(checkpoint.TaskId),
                checkpoint.Sequence,
                checkpoint.Timestamp.ToUnixTimeMilliseconds(),
                checkpoint.Progress,
                data,
                CheckpointRules.EtaMs(checkpoint.EstimatedTimeRemaining),
                createdAt));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        LoadLatestAsync(taskId, Resolve<T>(), cancellationToken);

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<Checkpoint<T>?>(cancellationToken);
        }

        string? id;
        CheckpointRow row = default;
        lock (_table.Sync)
        {
            id = _table.Latest(_tasks.Stored(taskId));
            if (id is not null)
            {
                row = _table[id];
            }
        }

        return new ValueTask<Checkpoint<T>?>(id is null ? null : Read(_ids.StripUtf8(id), taskId, row, typeInfo, "checkpoint.load_latest"));
    }

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, CancellationToken cancellationToken = default) =>
        LoadAsync(checkpointId, Resolve<T>(), cancellationToken);

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(checkpointId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<Checkpoint<T>?>(cancellationToken);
        }

        CheckpointRow row;
        bool found;
        lock (_table.Sync)
        {
            found = _table.TryGet(_ids.Stored(checkpointId), out row);
        }

        return new ValueTask<Checkpoint<T>?>(found ? Read(checkpointId, _tasks.StripUtf8(row.TaskId), row, typeInfo, "checkpoint.load") : null);
    }

    public ValueTask<IReadOnlyList<CheckpointInfo>> ListAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<IReadOnlyList<CheckpointInfo>>(cancellationToken);
        }

        var list = new List<CheckpointInfo>();
        lock (_table.Sync)
        {
            foreach (var (_, id) in _table.Task(_tasks.Stored(taskId)))
            {
                var row = _table[id];
                list.Add(new CheckpointInfo(
                    _ids.StripUtf8(id),
                    taskId,
                    row.Sequence,
                    Ttl.FromUnixMs(row.TimestampMs),
                    row.Progress,
                    CheckpointRules.Eta(row.EstimatedTimeRemainingMs)));
            }
        }

        return new ValueTask<IReadOnlyList<CheckpointInfo>>(list);
    }

    public ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        ListAsync(taskId, Resolve<T>(), cancellationToken);

    public ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled<IReadOnlyList<Checkpoint<T>>>(cancellationToken);
        }

        var rows = new List<(string Id, CheckpointRow Row)>();
        lock (_table.Sync)
        {
            foreach (var (_, id) in _table.Task(_tasks.Stored(taskId)))
            {
                rows.Add((id, _table[id]));
            }
        }

        var list = new List<Checkpoint<T>>(rows.Count);
        foreach (var (id, row) in rows)
        {
            list.Add(Read(_ids.StripUtf8(id), taskId, row, typeInfo, "checkpoint.list"));
        }

        return new ValueTask<IReadOnlyList<Checkpoint<T>>>(list);
    }

    public ValueTask CleanupAsync(string taskId, int keepCount, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentOutOfRangeException.ThrowIfNegative(keepCount);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        lock (_table.Sync)
        {
            _table.Cleanup(_tasks.Stored(taskId), keepCount);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAllAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        if (!Begin(cancellationToken))
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        lock (_table.Sync)
        {
            _table.DeleteAll(_tasks.Stored(taskId));
        }

        return ValueTask.CompletedTask;
    }

    private static Checkpoint<T> Read<T>(string id, string taskId, CheckpointRow row, PayloadTypeInfo<T> typeInfo, string op) =>
        new(
            id,
            taskId,
            row.Sequence,
            Ttl.FromUnixMs(row.TimestampMs),
            row.Progress,
            ReadPayload(row.Data, typeInfo, id, op),
            CheckpointRules.Eta(row.EstimatedTimeRemainingMs));
}
