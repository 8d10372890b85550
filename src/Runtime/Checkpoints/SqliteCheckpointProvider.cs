using NativeAotPersistence.Sqlite;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>The SQLite checkpoints: rows of <c>go_goscope_checkpoints</c>, ids and task ids namespaced by prefix.</summary>
internal sealed partial class SqliteCheckpointProvider : SqliteProvider, ICheckpointProvider
{
    private readonly KeyNamespace _ids;
    private readonly KeyNamespace _tasks;

    public SqliteCheckpointProvider(SqliteAdapter adapter)
        : base(adapter)
    {
        _ids = new KeyNamespace(Prefix, "checkpoint");
        _tasks = new KeyNamespace(Prefix, "task");
    }

    public ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, CancellationToken cancellationToken = default) =>
        SaveAsync(checkpoint, Resolve<T>(), cancellationToken);

    public ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckpointRules.Validate(checkpoint);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Ignore(Pool.WriteAsync("checkpoint.save", (this, checkpoint, typeInfo, NowMs), static (c, s) =>
        {
            const string op = "checkpoint.save";
            var statement = c.Statement(SqlId.CheckpointSave, op);
            var checkpoint = s.checkpoint;
            try
            {
                c.BindKey(statement, 1, s.Item1._ids, checkpoint.Id, op, slot: 0);
                c.BindKey(statement, 2, s.Item1._tasks, checkpoint.TaskId, op, slot: 1);
                c.BindInt64(statement, 3, checkpoint.Sequence, op);
                c.BindInt64(statement, 4, checkpoint.Timestamp.ToUnixTimeMilliseconds(), op);
                c.BindInt64(statement, 5, checkpoint.Progress, op);
                c.BindPayload(statement, 6, s.typeInfo, checkpoint.Data, op, checkpoint.Id);
                c.BindInt64(statement, 7, CheckpointRules.EtaMs(checkpoint.EstimatedTimeRemaining), op);
                c.BindInt64(statement, 8, s.Item4, op);
                return c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken));
    }

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        LoadLatestAsync(taskId, Resolve<T>(), cancellationToken);

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("checkpoint.load_latest", (this, taskId, typeInfo), static (c, s) =>
        {
            const string op = "checkpoint.load_latest";
            var statement = c.Statement(SqlId.CheckpointLatest, op);
            try
            {
                c.BindKey(statement, 1, s.Item1._tasks, s.taskId, op);
                return c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW
                    ? ReadCheckpoint(c, statement, SqliteConnection.ReadText(statement, 0, s.Item1._ids.Utf8.Length), s.taskId, s.typeInfo, op)
                    : null;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, CancellationToken cancellationToken = default) =>
        LoadAsync(checkpointId, Resolve<T>(), cancellationToken);

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(checkpointId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("checkpoint.load", (this, checkpointId, typeInfo), static (c, s) =>
        {
            const string op = "checkpoint.load";
            var statement = c.Statement(SqlId.CheckpointLoad, op);
            try
            {
                c.BindKey(statement, 1, s.Item1._ids, s.checkpointId, op);
                return c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW
                    ? ReadCheckpoint(c, statement, s.checkpointId, SqliteConnection.ReadText(statement, 0, s.Item1._tasks.Utf8.Length), s.typeInfo, op)
                    : null;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<CheckpointInfo>> ListAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        return Pool.ReadAsync("checkpoint.list", (this, taskId), static (c, s) =>
        {
            const string op = "checkpoint.list";
            var statement = c.Statement(SqlId.CheckpointListInfo, op);
            var list = new List<CheckpointInfo>();
            try
            {
                c.BindKey(statement, 1, s.Item1._tasks, s.taskId, op);
                while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
                {
                    var id = SqliteConnection.ReadText(statement, 0, s.Item1._ids.Utf8.Length);
                    try
                    {
                        list.Add(new CheckpointInfo(
                            id,
                            s.taskId,
                            Sqlite3.ColumnInt64(statement, 1),
                            c.ReadTime(statement, 2, "go_goscope_checkpoints", id, op),
                            Sqlite3.ColumnInt(statement, 3),
                            Ttl.DurationFromStoredMs(SqliteConnection.ReadNullableInt64(statement, 4), "go_goscope_checkpoints", "estimated_time_remaining", id, op, c.DataSource)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_checkpoints", id))
                    {
                    }
                }
            }
            finally
            {
                c.Reset(statement);
            }

            return (IReadOnlyList<CheckpointInfo>)list;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        ListAsync(taskId, Resolve<T>(), cancellationToken);

    public ValueTask<IReadOnlyList<Checkpoint<T>>> ListAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Pool.ReadAsync("checkpoint.list", (this, taskId, typeInfo), static (c, s) =>
        {
            const string op = "checkpoint.list";
            var statement = c.Statement(SqlId.CheckpointList, op);
            var list = new List<Checkpoint<T>>();
            try
            {
                c.BindKey(statement, 1, s.Item1._tasks, s.taskId, op);
                while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
                {
                    // A damaged row is skipped (and reported); a payload that does not parse as T still throws.
                    var id = SqliteConnection.ReadText(statement, 0, s.Item1._ids.Utf8.Length);
                    try
                    {
                        list.Add(ReadCheckpoint(c, statement, id, s.taskId, s.typeInfo, op));
                    }
                    catch (PersistenceException e) when (e.Kind == PersistenceErrorKind.Corrupt && RowSkips.Skip(e, op, "go_goscope_checkpoints", id))
                    {
                    }
                }
            }
            finally
            {
                c.Reset(statement);
            }

            return (IReadOnlyList<Checkpoint<T>>)list;
        }, cancellationToken);
    }

    public ValueTask CleanupAsync(string taskId, int keepCount, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentOutOfRangeException.ThrowIfNegative(keepCount);
        return Ignore(Pool.WriteAsync("checkpoint.cleanup", (this, taskId, keepCount), static (c, s) =>
        {
            const string op = "checkpoint.cleanup";
            var statement = c.Statement(SqlId.CheckpointCleanup, op);
            try
            {
                c.BindKey(statement, 1, s.Item1._tasks, s.taskId, op);
                c.BindInt64(statement, 2, s.keepCount, op);
                return c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken));
    }

    public ValueTask DeleteAllAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        return Ignore(Pool.WriteAsync("checkpoint.delete_all", (this, taskId), static (c, s) =>
        {
            const string op = "checkpoint.delete_all";
            var statement = c.Statement(SqlId.CheckpointDeleteAll, op);
            try
            {
                c.BindKey(statement, 1, s.Item1._tasks, s.taskId, op);
                return c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken));
    }

    /// <summary>Reads columns (id or task_id), sequence, timestamp, progress, eta, data of the current row.</summary>
    private static Checkpoint<T> ReadCheckpoint<T>(SqliteConnection c, sqlite3_stmt statement, string id, string taskId, PayloadTypeInfo<T> typeInfo, string op) =>
        new(
            id,
            taskId,
            Sqlite3.ColumnInt64(statement, 1),
            c.ReadTime(statement, 2, "go_goscope_checkpoints", id, op),
            Sqlite3.ColumnInt(statement, 3),
            c.ReadPayload(statement, 5, typeInfo, id, op),
            Ttl.DurationFromStoredMs(SqliteConnection.ReadNullableInt64(statement, 4), "go_goscope_checkpoints", "estimated_time_remaining", id, op, c.DataSource));
}
