using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>Inspection of one SQLite adapter's namespace, through the reader connections.</summary>
internal sealed class SqliteAdmin : SqliteProvider, IPersistenceAdmin
{
    private readonly KeyNamespace _cache;
    private readonly KeyNamespace _circuits;
    private readonly KeyNamespace _tasks;
    private readonly KeyNamespace _idempotency;
    private readonly KeyNamespace _locks;

    public SqliteAdmin(SqliteAdapter adapter)
        : base(adapter)
    {
        _cache = new KeyNamespace(Prefix, "cache");
        _circuits = new KeyNamespace(Prefix, "circuit");
        _tasks = new KeyNamespace(Prefix, "task");
        _idempotency = new KeyNamespace(Prefix, "idempotency");
        _locks = new KeyNamespace(Prefix, "lock");
    }

    public ValueTask<PersistenceStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var processLocks = Adapter.Locks is ProcessLockProvider process ? process.Table.Counts(NowMs) : (RowCounts?)null;
        return Pool.ReadAsync("admin.stats", (Self: this, now: NowMs, processLocks), static (c, s) =>
        {
            const string op = "admin.stats";
            var self = s.Self;
            var version = int.Parse(SqliteSchema.ReadMeta(c, "schema_version"u8, op) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var pageSize = long.Parse(c.QueryText("PRAGMA page_size", op) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var pageCount = long.Parse(c.QueryText("PRAGMA page_count", op) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var freePages = long.Parse(c.QueryText("PRAGMA freelist_count", op) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var (checkpoints, tasks) = Pair(c, SqlId.AdminCheckpointCounts, self._tasks, s.now, op);
            return new PersistenceStats(
                version,
                c.DataSource,
                SizeOnDisk(c.DataSource),
                pageSize,
                pageCount,
                freePages,
                Counts(c, SqlId.AdminCacheCounts, self._cache, s.now, op),
                CountRows(c, SqlId.AdminCircuits, self._circuits, op),
                checkpoints,
                tasks,
                Counts(c, SqlId.AdminIdempotencyCounts, self._idempotency, s.now, op),
                s.processLocks ?? Counts(c, SqlId.AdminLockCounts, self._locks, s.now, op));
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<CircuitSummary>> ListCircuitsAsync(CancellationToken cancellationToken = default) =>
        Pool.ReadAsync("admin.circuits", _circuits, static (c, ns) =>
        {
            const string op = "admin.circuits";
            var list = new List<CircuitSummary>();
            using (var statement = c.Statement(SqlId.AdminCircuits, op))
            {
                statement.BindRange(ns, default);
                while (statement.StepRow())
                {
                    var key = statement.ReadText(0, ns.Utf8.Length);
                    try
                    {
                        var state = SqliteCircuitBreakerStateProvider.ReadState(statement, key, first: 1);
                        list.Add(new CircuitSummary(key, state, statement.ReadTime(5, "go_goscope_circuit", key)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_circuit", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<CircuitSummary>)list;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<TaskSummary>> ListTasksAsync(CancellationToken cancellationToken = default) =>
        Pool.ReadAsync("admin.tasks", _tasks, static (c, ns) =>
        {
            const string op = "admin.tasks";
            var list = new List<TaskSummary>();
            using (var statement = c.Statement(SqlId.AdminTasks, op))
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
            return (IReadOnlyList<TaskSummary>)list;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<LockInfo>> ListLocksAsync(CancellationToken cancellationToken = default)
    {
        if (Adapter.Locks is ProcessLockProvider process)
        {
            _ = Pool;
            return new ValueTask<IReadOnlyList<LockInfo>>(process.Table.List(NowMs));
        }

        return Pool.ReadAsync("admin.locks", (_locks, now: NowMs), static (c, s) =>
        {
            const string op = "admin.locks";
            var list = new List<LockInfo>();
            using (var statement = c.Statement(SqlId.AdminLocks, op))
            {
                statement.BindRange(s._locks, default);
                statement.BindInt64(3, s.now);
                while (statement.StepRow())
                {
                    var key = statement.ReadText(0, s._locks.Utf8.Length);
                    try
                    {
                        list.Add(SqliteLockProvider.ReadInfo(statement, key, 1));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_locks", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<LockInfo>)list;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<IdempotencyKeySummary>> ListIdempotencyKeysAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        if (pattern is not null)
        {
            Keys.ValidatePattern(pattern);
        }

        return Pool.ReadAsync("admin.idempotency", (_idempotency, pattern, now: NowMs), static (c, s) =>
        {
            const string op = "admin.idempotency";
            var list = new List<IdempotencyKeySummary>();
            using (var statement = c.Statement(SqlId.AdminIdempotency, op))
            {
                statement.BindRange(s._idempotency, Glob.LiteralPrefix(s.pattern));
                statement.BindInt64(3, s.now);
                while (statement.StepRow())
                {
                    var key = statement.ReadText(0, s._idempotency.Utf8.Length);
                    if (!Glob.IsMatch(s.pattern, key))
                    {
                        continue;
                    }

                    try
                    {
                        list.Add(new IdempotencyKeySummary(
                            key,
                            statement.ReadNullableTime(1, "go_goscope_idempotency", key),
                            statement.ReadNullableTime(2, "go_goscope_idempotency", key),
                            statement.ColumnInt(3)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_idempotency", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<IdempotencyKeySummary>)list;
        }, cancellationToken);
    }

    private static long SizeOnDisk(string dataSource)
    {
        if (dataSource == ":memory:")
        {
            return 0;
        }

        static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        return Length(dataSource) + Length(dataSource + "-wal");
    }

    private static RowCounts Counts(SqliteConnection c, SqlId sql, KeyNamespace ns, long nowMs, string op)
    {
        var (total, expired) = Pair(c, sql, ns, nowMs, op);
        return new RowCounts(total - expired, expired);
    }

    private static (int First, int Second) Pair(SqliteConnection c, SqlId sql, KeyNamespace ns, long nowMs, string op)
    {
        using var statement = c.Statement(sql, op);
        statement.BindRange(ns, default);
        if (sqlite3_bind_parameter_count(statement.Handle) >= 3)
        {
            statement.BindInt64(3, nowMs);
        }

        statement.Step();
        return (statement.ColumnInt(0), statement.ColumnInt(1));
    }

    private static int CountRows(SqliteConnection c, SqlId sql, KeyNamespace ns, string op)
    {
        using var statement = c.Statement(sql, op);
        statement.BindRange(ns, default);
        var count = 0;
        while (statement.StepRow())
        {
            count++;
        }

        return count;
    }
}
