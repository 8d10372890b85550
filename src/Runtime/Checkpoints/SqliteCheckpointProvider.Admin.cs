using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

internal sealed partial class SqliteCheckpointProvider : IAdminSource, IAdminListing<TaskSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _tasks, now: NowMs), static (c, s) =>
        {
            var (checkpoints, tasks) = SqliteCounts.Pair(c, SqlId.AdminCheckpointCounts, s._tasks, s.now, "admin.stats");
            return s.stats with { Checkpoints = checkpoints, Tasks = tasks };
        }, cancellationToken);

    public ValueTask<IReadOnlyList<TaskSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.tasks", _tasks, static (c, ns) =>
        {
            const string op = "admin.tasks";
            var list = new List<TaskSummary>();
            var statement = c.Statement(SqlId.AdminTasks, op);
            try
            {
                c.BindRange(statement, ns, default, op);
                while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
                {
                    var taskId = SqliteConnection.ReadText(statement, 0, ns.Utf8.Length);
                    try
                    {
                        list.Add(new TaskSummary(
                            taskId,
                            Sqlite3.ColumnInt(statement, 1),
                            Sqlite3.ColumnInt64(statement, 2),
                            Sqlite3.ColumnInt(statement, 3),
                            Ttl.DurationFromStoredMs(SqliteConnection.ReadNullableInt64(statement, 4), "go_goscope_checkpoints", "estimated_time_remaining", taskId, op, c.DataSource),
                            c.ReadTime(statement, 5, "go_goscope_checkpoints", taskId, op)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_checkpoints", taskId))
                    {
                    }
                }
            }
            finally
            {
                c.Reset(statement);
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.TaskId, b.TaskId));
            return (IReadOnlyList<TaskSummary>)list;
        }, cancellationToken);
}
