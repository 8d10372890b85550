using System.Diagnostics.CodeAnalysis;
using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

internal sealed partial class SqliteCheckpointProvider : IAdminSource, IAdminListing<TaskSummary>
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.stats", (stats, _tasks, now: NowMs), &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, (PersistenceStats stats, KeyNamespace _tasks, long now) s)
    {
        var (checkpoints, tasks) = SqliteCounts.Pair(c, SqliteCheckpointSql.AdminCounts, s._tasks, s.now, "admin.stats");
        return s.stats with { Checkpoints = checkpoints, Tasks = tasks };
    }

    public unsafe ValueTask<IReadOnlyList<TaskSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken) =>
        Pool.ReadAsync("admin.tasks", _tasks, &AdminListBody, cancellationToken);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<TaskSummary> AdminListBody(SqliteConnection c, KeyNamespace ns)
    {
        const string op = "admin.tasks";
        var list = new List<TaskSummary>();
        using (var statement = c.Statement(SqliteCheckpointSql.AdminList, op))
        {
            statement.BindRange(ns, default);
            while (statement.StepRow())
            {
                var taskId = statement.ReadText(0, ns.Utf8.Length);
                try
                {
                    list.Add(new TaskSummary(
                        taskId,
                        statement.ColumnInt(1),
                        statement.ColumnInt64(2),
                        statement.ColumnInt(3),
                        Ttl.DurationFromStoredMs(statement.ReadNullableInt64(4), "go_goscope_checkpoints", "estimated_time_remaining", taskId, op, c.DataSource),
                        statement.ReadTime(5, "go_goscope_checkpoints", taskId)));
                }
                catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_checkpoints", taskId))
                {
                }
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.TaskId, b.TaskId));
        return list;
    }
}
