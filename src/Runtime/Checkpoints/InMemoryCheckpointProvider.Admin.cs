using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

internal sealed partial class InMemoryCheckpointProvider : IAdminSource, IAdminListing<TaskSummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        int checkpoints = 0, tasks = 0;
        lock (_table.Sync)
        {
            foreach (var taskId in _table.TaskIds)
            {
                if (_tasks.Contains(taskId))
                {
                    tasks++;
                    checkpoints += _table.Task(taskId).Count;
                }
            }
        }

        return new ValueTask<PersistenceStats>(stats with { Checkpoints = checkpoints, Tasks = tasks });
    }

    public ValueTask<IReadOnlyList<TaskSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        Context.EnsureConnected();
        var list = new List<TaskSummary>();
        lock (_table.Sync)
        {
            foreach (var taskId in _table.TaskIds)
            {
                if (!_tasks.Contains(taskId) || _table.Latest(taskId) is not { } latestId)
                {
                    continue;
                }

                var rows = _table.Task(taskId);
                var latest = _table[latestId];
                list.Add(new TaskSummary(
                    _tasks.Strip(taskId),
                    rows.Count,
                    latest.Sequence,
                    latest.Progress,
                    CheckpointRules.Eta(latest.EstimatedTimeRemainingMs),
                    Ttl.FromUnixMs(latest.TimestampMs)));
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.TaskId, b.TaskId));
        return new ValueTask<IReadOnlyList<TaskSummary>>(list);
    }
}
