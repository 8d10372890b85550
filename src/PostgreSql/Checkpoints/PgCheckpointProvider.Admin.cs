using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgCheckpointProvider : IAdminSource, IAdminListing<TaskSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _tasks), static async (c, s, ct) =>
        {
            var (checkpoints, tasks) = await PgCounts.PairAsync(c, PgCheckpointSql.AdminCounts, s._tasks, null, ct).ConfigureAwait(false);
            return s.stats with { Checkpoints = checkpoints, Tasks = tasks };
        }, cancellationToken);

    public ValueTask<IReadOnlyList<TaskSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        var db = Db;
        return db.RunAsync("admin.tasks", PgWork.Read, (ns: _tasks, db.DataSource), static async (c, s, ct) =>
        {
            const string op = "admin.tasks";
            var ns = s.ns;
            var list = new List<TaskSummary>();
            await using var command = c.Command(PgCheckpointSql.AdminTasks).Range(ns);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var taskId = reader.ReadKey(0, ns.Utf8.Length);
                    try
                    {
                        list.Add(new TaskSummary(
                            taskId,
                            (int)reader.GetInt64(1),
                            reader.GetInt64(2),
                            reader.GetInt32(3),
                            Ttl.DurationFromStoredMs(reader.ReadNullableInt64(4), "go_goscope_checkpoints", "estimated_time_remaining", taskId, op, s.DataSource),
                            reader.ReadTime(5, "go_goscope_checkpoints", taskId, op, s.DataSource)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_checkpoints", taskId))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.TaskId, b.TaskId));
            return (IReadOnlyList<TaskSummary>)list;
        }, cancellationToken);
    }
}
