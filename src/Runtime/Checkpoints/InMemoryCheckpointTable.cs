namespace NativeAotPersistence.InMemory;

/// <summary>One stored checkpoint; ids and task ids are stored keys (with prefix and tag).</summary>
internal readonly record struct CheckpointRow(
    string TaskId, long Sequence, long TimestampMs, int Progress, byte[] Data, long? EstimatedTimeRemainingMs, long CreatedAtMs);

/// <summary>
/// The checkpoint table: rows by stored id, and per stored task id the rows ordered as SQLite orders them
/// (<c>ORDER BY sequence, id</c> under the BINARY collation). Callers hold <see cref="Sync"/> around every use.
/// </summary>
internal sealed class CheckpointTable
{
    private readonly Dictionary<string, CheckpointRow> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<(long Sequence, string Id)>> _tasks = new(StringComparer.Ordinal);

    public Lock Sync { get; } = new();

    public int Count => _rows.Count;

    public IEnumerable<string> Ids => _rows.Keys;

    /// <summary>Gets the stored task ids that have at least one row.</summary>
    public IEnumerable<string> TaskIds => _tasks.Keys;

    public bool TryGet(string id, out CheckpointRow row) => _rows.TryGetValue(id, out row);

    /// <summary>Upserts by id; a row that moves to another task or sequence leaves its old place.</summary>
    public void Put(string id, CheckpointRow row)
    {
        if (_rows.TryGetValue(id, out var old))
        {
            Unindex(old.TaskId, old.Sequence, id);
        }

        _rows[id] = row;
        if (!_tasks.TryGetValue(row.TaskId, out var order))
        {
            order = new SortedSet<(long Sequence, string Id)>(SequenceOrder.Instance);
            _tasks.Add(row.TaskId, order);
        }

        order.Add((row.Sequence, id));
    }

    /// <summary>The task's rows in ascending (sequence, id) order; empty for an unknown task.</summary>
    public IReadOnlyCollection<(long Sequence, string Id)> Task(string taskId) =>
        _tasks.TryGetValue(taskId, out var order) ? order : [];

    /// <summary>The task's row with the highest (sequence, id), if any.</summary>
    public string? Latest(string taskId) => _tasks.TryGetValue(taskId, out var order) && order.Count > 0 ? order.Max.Id : null;

    public CheckpointRow this[string id] => _rows[id];

    /// <summary>Removes all but the <paramref name="keepCount"/> highest (sequence, id) rows of the task.</summary>
    public void Cleanup(string taskId, int keepCount)
    {
        if (!_tasks.TryGetValue(taskId, out var order))
        {
            return;
        }

        var remove = order.Count - keepCount;
        if (remove <= 0)
        {
            return;
        }

        foreach (var (sequence, id) in order.Take(remove).ToList())
        {
            _rows.Remove(id);
            Unindex(taskId, sequence, id);
        }
    }

    public void DeleteAll(string taskId)
    {
        if (_tasks.Remove(taskId, out var order))
        {
            foreach (var (_, id) in order)
            {
                _rows.Remove(id);
            }
        }
    }

    private void Unindex(string taskId, long sequence, string id)
    {
        if (_tasks.TryGetValue(taskId, out var order) && order.Remove((sequence, id)) && order.Count == 0)
        {
            _tasks.Remove(taskId);
        }
    }

    private sealed class SequenceOrder : IComparer<(long Sequence, string Id)>
    {
        public static readonly SequenceOrder Instance = new();

        public int Compare((long Sequence, string Id) x, (long Sequence, string Id) y)
        {
            var bySequence = x.Sequence.CompareTo(y.Sequence);
            return bySequence != 0 ? bySequence : CodePointComparer.Instance.Compare(x.Id, y.Id);
        }
    }
}
