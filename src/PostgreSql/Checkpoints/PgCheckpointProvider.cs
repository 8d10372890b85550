using Npgsql;
using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>The PostgreSQL checkpoints: rows of <c>go_goscope_checkpoints</c>, ids and task ids namespaced by prefix.</summary>
internal sealed partial class PgCheckpointProvider : PgProvider, ICheckpointProvider
{
    private readonly KeyNamespace _ids;
    private readonly KeyNamespace _tasks;

    public PgCheckpointProvider(PgContext context)
        : base(context)
    {
        _ids = new KeyNamespace(Prefix, "checkpoint");
        _tasks = new KeyNamespace(Prefix, "task");
    }

    public ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, CancellationToken cancellationToken = default) =>
        SaveAsync(checkpoint, Resolve<T>(), cancellationToken);

    public async ValueTask SaveAsync<T>(Checkpoint<T> checkpoint, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckpointRules.Validate(checkpoint);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var data = StoredPayloads.Serialize(typeInfo, checkpoint.Id, checkpoint.Data);
        await Db.RunAsync("checkpoint.save", PgWork.Idempotent, (self: this, checkpoint.Id, checkpoint.TaskId, checkpoint.Sequence, checkpoint.Timestamp, checkpoint.Progress, data, checkpoint.EstimatedTimeRemaining, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCheckpointSql.Save)
                .Key(s.self._ids, s.Id)
                .Key(s.self._tasks, s.TaskId)
                .Int64(s.Sequence)
                .Int64(s.Timestamp.ToUnixTimeMilliseconds())
                .Int64((long)s.Progress)
                .Json(s.data)
                .Int64(CheckpointRules.EtaMs(s.EstimatedTimeRemaining))
                .Int64(s.NowMs);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, CancellationToken cancellationToken = default) =>
        LoadLatestAsync(taskId, Resolve<T>(), cancellationToken);

    public ValueTask<Checkpoint<T>?> LoadLatestAsync<T>(string taskId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var db = Db;
        return db.RunAsync("checkpoint.load_latest", PgWork.Read, (self: this, taskId, typeInfo, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCheckpointSql.Latest).Key(s.self._tasks, s.taskId);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false)
                    ? ReadCheckpoint(reader, reader.ReadKey(0, s.self._ids.Utf8.Length), s.taskId, s.typeInfo, "checkpoint.load_latest", s.DataSource)
                    : null;
            }
        }, cancellationToken);
    }

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, CancellationToken cancellationToken = default) =>
        LoadAsync(checkpointId, Resolve<T>(), cancellationToken);

    public ValueTask<Checkpoint<T>?> LoadAsync<T>(string checkpointId, PayloadTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        Keys.Validate(checkpointId);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var db = Db;
        return db.RunAsync("checkpoint.load", PgWork.Read, (self: this, checkpointId, typeInfo, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCheckpointSql.Load).Key(s.self._ids, s.checkpointId);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false)
                    ? ReadCheckpoint(reader, s.checkpointId, reader.ReadKey(0, s.self._tasks.Utf8.Length), s.typeInfo, "checkpoint.load", s.DataSource)
                    : null;
            }
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<CheckpointInfo>> ListAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        var db = Db;
        return db.RunAsync("checkpoint.list", PgWork.Read, (self: this, taskId, db.DataSource), static async (c, s, ct) =>
        {
            var list = new List<CheckpointInfo>();
            await using var command = c.Command(PgCheckpointSql.ListInfo).Key(s.self._tasks, s.taskId);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var id = reader.ReadKey(0, s.self._ids.Utf8.Length);
                    try
                    {
                        list.Add(new CheckpointInfo(
                            id,
                            s.taskId,
                            reader.GetInt64(1),
                            reader.ReadTime(2, "go_goscope_checkpoints", id, "checkpoint.list", s.DataSource),
                            reader.GetInt32(3),
                            Ttl.DurationFromStoredMs(reader.ReadNullableInt64(4), "go_goscope_checkpoints", "estimated_time_remaining", id, "checkpoint.list", s.DataSource)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, "checkpoint.list", "go_goscope_checkpoints", id))
                    {
                    }
                }
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
        var db = Db;
        return db.RunAsync("checkpoint.list", PgWork.Read, (self: this, taskId, typeInfo, db.DataSource), static async (c, s, ct) =>
        {
            var list = new List<Checkpoint<T>>();
            await using var command = c.Command(PgCheckpointSql.List).Key(s.self._tasks, s.taskId);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    // A damaged row is skipped (and reported); a payload that does not parse as T still throws.
                    var id = reader.ReadKey(0, s.self._ids.Utf8.Length);
                    try
                    {
                        list.Add(ReadCheckpoint(reader, id, s.taskId, s.typeInfo, "checkpoint.list", s.DataSource));
                    }
                    catch (PersistenceException e) when (e.Kind == PersistenceErrorKind.Corrupt && RowSkips.Skip(e, "checkpoint.list", "go_goscope_checkpoints", id))
                    {
                    }
                }
            }

            return (IReadOnlyList<Checkpoint<T>>)list;
        }, cancellationToken);
    }

    public async ValueTask CleanupAsync(string taskId, int keepCount, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        ArgumentOutOfRangeException.ThrowIfNegative(keepCount);
        await Db.RunAsync("checkpoint.cleanup", PgWork.Idempotent, (self: this, taskId, keepCount), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCheckpointSql.Cleanup).Key(s.self._tasks, s.taskId).Int64((long)s.keepCount);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DeleteAllAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Keys.Validate(taskId);
        await Db.RunAsync("checkpoint.delete_all", PgWork.Idempotent, (self: this, taskId), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgCheckpointSql.DeleteAll).Key(s.self._tasks, s.taskId);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads columns (id or task_id), sequence, timestamp, progress, eta, data of the current row.</summary>
    private static Checkpoint<T> ReadCheckpoint<T>(NpgsqlDataReader reader, string id, string taskId, PayloadTypeInfo<T> typeInfo, string op, string dataSource) =>
        new(
            id,
            taskId,
            reader.GetInt64(1),
            reader.ReadTime(2, "go_goscope_checkpoints", id, op, dataSource),
            reader.GetInt32(3),
            reader.ReadPayload(5, typeInfo, id, op, dataSource),
            Ttl.DurationFromStoredMs(reader.ReadNullableInt64(4), "go_goscope_checkpoints", "estimated_time_remaining", id, op, dataSource));
}
