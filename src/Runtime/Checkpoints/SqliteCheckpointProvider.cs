using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>The SQLite checkpoints: rows of <c>go_goscope_checkpoints</c>, ids and task ids namespaced by prefix.</summary>
internal sealed partial class SqliteCheckpointProvider : SqliteProvider, ICheckpointProvider
{
    private readonly KeyNamespace _ids;
    private readonly KeyNamespace _tasks;

    public SqliteCheckpointProvider(SqliteContext context)
        : base(context)
    {
        _ids = new KeyNamespace(Prefix, "checkpoint");
        _tasks = new KeyNamespace(Prefix, "task");
    }

    public ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, CancellationToken cancellationToken = default) =>
        SaveAsync(checkpoint, Resolve<T>(), cancellationToken);

    public unsafe ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckpointRules.Validate(checkpoint);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Ignore(Pool.WriteAsync("checkpoint.save", (Self: this, checkpoint, typeInfo, now: NowMs), &SaveBody<T>, cancellationToken));
    }

    private static int SaveBody<T>(SqliteConnection c, (SqliteCheckpointProvider Self, Checkpoint<T> checkpoint, PayloadTypeInfo<T> typeInfo, long now) s)
    {
        const string op = "checkpoint.save";
        using var statement = c.Statement(SqliteCheckpointSql.Save, op);
        var checkpoint = s.checkpoint;
        statement.BindKey(1, s.Self._ids, checkpoint.Id, slot: 0);
        statement.BindKey(2, s.Self._tasks, checkpoint.TaskId, slot: 1);
        statement.BindInt64(3, checkpoint.Sequence);
        statement.BindInt64(4, checkpoint.Timestamp.ToUnixTimeMilliseconds());
        statement.BindInt64(5, checkpoint.Progress);
        statement.BindPayload(6, s.typeInfo, checkpoint.Data, checkpoint.Id);
        statement.BindInt64(7, CheckpointRules.EtaMs(checkpoint.EstimatedTimeRemaining));
        statement.BindInt64(8, s.now);
        return statement.Step();
    }

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        LoadLatestAsync(taskId, Resolve<T>(), cancellationToken);

    public unsafe ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("checkpoint.load_latest", (Self: this, taskId, typeInfo), &LoadLatestBody<T>, cancellationToken);
    }

    private static Checkpoint<T>? LoadLatestBody<T>(SqliteConnection c, (SqliteCheckpointProvider Self, string taskId, PayloadTypeInfo<T> typeInfo) s)
    {
        const string op = "checkpoint.load_latest";
        using var statement = c.Statement(SqliteCheckpointSql.Latest, op);
        statement.BindKey(1, s.Self._tasks, s.taskId);
        return statement.StepRow()
            ? ReadCheckpoint(statement, statement.ReadText(0, s.Self._ids.Utf8.Length), s.taskId, s.typeInfo)
            : null;
    }

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, CancellationToken cancellationToken = default) =>
        LoadAsync(checkpointId, Resolve<T>(), cancellationToken);

    public unsafe ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(checkpointId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("checkpoint.load", (Self: this, checkpointId, typeInfo), &LoadBody<T>, cancellationToken);
    }

    private static Checkpoint<T>? LoadBody<T>(SqliteConnection c, (SqliteCheckpointProvider Self, string checkpointId, PayloadTypeInfo<T> typeInfo) s)
    {
        const string op = "checkpoint.load";
        using var statement = c.Statement(SqliteCheckpointSql.Load, op);
        statement.BindKey(1, s.Self._ids, s.checkpointId);
        return statement.StepRow()
            ? ReadCheckpoint(statement, s.checkpointId, statement.ReadText(0, s.Self._tasks.Utf8.Length), s.typeInfo)
            : null;
    }

    public unsafe ValueTask<IReadOnlyList<CheckpointInfo>> ListAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        return Pool.ReadAsync("checkpoint.list", (Self: this, taskId), &ListInfoBody, cancellationToken);
    }

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<CheckpointInfo> ListInfoBody(SqliteConnection c, (SqliteCheckpointProvider Self, string taskId) s)
    {
        const string op = "checkpoint.list";
        var list = new List<CheckpointInfo>();
        using (var statement = c.Statement(SqliteCheckpointSql.ListInfo, op))
        {
            statement.BindKey(1, s.Self._tasks, s.taskId);
            while (statement.StepRow())
            {
                var id = statement.ReadText(0, s.Self._ids.Utf8.Length);
                try
                {
                    list.Add(new CheckpointInfo(
                        id,
                        s.taskId,
                        statement.ColumnInt64(1),
                        statement.ReadTime(2, "go_goscope_checkpoints", id),
                        statement.ColumnInt(3),
                        Ttl.DurationFromStoredMs(statement.ReadNullableInt64(4), "go_goscope_checkpoints", "estimated_time_remaining", id, op, c.DataSource)));
                }
                catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_checkpoints", id))
                {
                }
            }
        }

        return list;
    }

    public ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        ListAsync(taskId, Resolve<T>(), cancellationToken);

    public unsafe ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("checkpoint.list", (Self: this, taskId, typeInfo), &ListBody<T>, cancellationToken);
    }

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<Checkpoint<T>> ListBody<T>(SqliteConnection c, (SqliteCheckpointProvider Self, string taskId, PayloadTypeInfo<T> typeInfo) s)
    {
        const string op = "checkpoint.list";
        var list = new List<Checkpoint<T>>();
        using (var statement = c.Statement(SqliteCheckpointSql.List, op))
        {
            statement.BindKey(1, s.Self._tasks, s.taskId);
            while (statement.StepRow())
            {
                // A damaged row is skipped (and reported); a payload that does not parse as T still throws.
                var id = statement.ReadText(0, s.Self._ids.Utf8.Length);
                try
                {
                    list.Add(ReadCheckpoint(statement, id, s.taskId, s.typeInfo));
                }
                catch (PersistenceException e) when (e.Kind == PersistenceErrorKind.Corrupt && RowSkips.Skip(e, op, "go_goscope_checkpoints", id))
                {
                }
            }
        }

        return list;
    }

    public unsafe ValueTask CleanupAsync(string taskId, int keepCount, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentOutOfRangeException.ThrowIfNegative(keepCount);
        return Ignore(Pool.WriteAsync("checkpoint.cleanup", (Self: this, taskId, keepCount), &CleanupBody, cancellationToken));
    }

    private static int CleanupBody(SqliteConnection c, (SqliteCheckpointProvider Self, string taskId, int keepCount) s)
    {
        const string op = "checkpoint.cleanup";
        using var statement = c.Statement(SqliteCheckpointSql.Cleanup, op);
        statement.BindKey(1, s.Self._tasks, s.taskId);
        statement.BindInt64(2, s.keepCount);
        return statement.Step();
    }

    public unsafe ValueTask DeleteAllAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        return Ignore(Pool.WriteAsync("checkpoint.delete_all", (Self: this, taskId), &DeleteAllBody, cancellationToken));
    }

    private static int DeleteAllBody(SqliteConnection c, (SqliteCheckpointProvider Self, string taskId) s)
    {
        const string op = "checkpoint.delete_all";
        using var statement = c.Statement(SqliteCheckpointSql.DeleteAll, op);
        statement.BindKey(1, s.Self._tasks, s.taskId);
        return statement.Step();
    }

    /// <summary>Reads columns (id or task_id), sequence, timestamp, progress, eta, data of the current row.</summary>
    private static Checkpoint<T> ReadCheckpoint<T>(SqliteStatement statement, string id, string taskId, PayloadTypeInfo<T> typeInfo) =>
        new(
            id,
            taskId,
            statement.ColumnInt64(1),
            statement.ReadTime(2, "go_goscope_checkpoints", id),
            statement.ColumnInt(3),
            statement.ReadPayload(5, typeInfo, id),
            Ttl.DurationFromStoredMs(statement.ReadNullableInt64(4), "go_goscope_checkpoints", "estimated_time_remaining", id, statement.Operation, statement.DataSource));
}
