using Npgsql;
using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>Inspection of one PostgreSQL adapter's namespace.</summary>
internal sealed class PgAdmin : PgProvider, IPersistenceAdmin
{
    private readonly KeyNamespace _cache;
    private readonly KeyNamespace _circuits;
    private readonly KeyNamespace _tasks;
    private readonly KeyNamespace _idempotency;
    private readonly KeyNamespace _locks;

    public PgAdmin(PostgresAdapter adapter)
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
        var processLocks = Adapter.Locks is ProcessLockProvider process ? process.Counts(NowMs) : (RowCounts?)null;
        var db = Db;
        return db.RunAsync("admin.stats", PgWork.Read, (self: this, NowMs, processLocks, db.DataSource), static async (c, s, ct) =>
        {
            var self = s.self;
            int version;
            await using (var command = c.Command(PgSql.SchemaVersion))
            {
                version = int.Parse((string?)await command.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            }

            long size;
            await using (var command = c.Command(PgSql.AdminSize))
            {
                size = (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }

            var (checkpoints, tasks) = await PairAsync(c, PgSql.AdminCheckpointCounts, self._tasks, null, ct).ConfigureAwait(false);
            var circuits = 0;
            await using (var command = c.Command(PgSql.AdminCircuits).Range(self._circuits))
            {
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        circuits++;
                    }
                }
            }

            return new PersistenceStats(
                version,
                s.DataSource,
                size,
                0,
                0,
                0,
                await CountsAsync(c, PgSql.AdminCacheCounts, self._cache, s.NowMs, ct).ConfigureAwait(false),
                circuits,
                checkpoints,
                tasks,
                await CountsAsync(c, PgSql.AdminIdempotencyCounts, self._idempotency, s.NowMs, ct).ConfigureAwait(false),
                s.processLocks ?? await CountsAsync(c, PgSql.AdminLockCounts, self._locks, s.NowMs, ct).ConfigureAwait(false));
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<CircuitSummary>> ListCircuitsAsync(CancellationToken cancellationToken = default)
    {
        var db = Db;
        return db.RunAsync("admin.circuits", PgWork.Read, (_circuits, db.DataSource), static async (c, s, ct) =>
        {
            var list = new List<CircuitSummary>();
            await using var command = c.Command(PgSql.AdminCircuits).Range(s._circuits);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._circuits.Utf8.Length);
                    try
                    {
                        var state = PgCircuitBreakerStateProvider.ReadState(reader, key, "admin.circuits", s.DataSource, first: 1);
                        list.Add(new CircuitSummary(key, state, reader.ReadTime(5, "go_goscope_circuit", key, "admin.circuits", s.DataSource)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, "admin.circuits", "go_goscope_circuit", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<CircuitSummary>)list;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<TaskSummary>> ListTasksAsync(CancellationToken cancellationToken = default)
    {
        var db = Db;
        return db.RunAsync("admin.tasks", PgWork.Read, (ns: _tasks, db.DataSource), static async (c, s, ct) =>
        {
            const string op = "admin.tasks";
            var ns = s.ns;
            var list = new List<TaskSummary>();
            await using var command = c.Command(PgSql.AdminTasks).Range(ns);
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

    public ValueTask<IReadOnlyList<LockInfo>> ListLocksAsync(CancellationToken cancellationToken = default)
    {
        if (Adapter.Locks is ProcessLockProvider process)
        {
            _ = Db;
            return new ValueTask<IReadOnlyList<LockInfo>>(process.List(NowMs));
        }

        var db = Db;
        return db.RunAsync("admin.locks", PgWork.Read, (_locks, NowMs, db.DataSource), static async (c, s, ct) =>
        {
            var list = new List<LockInfo>();
            await using var command = c.Command(PgSql.AdminLocks).Range(s._locks).Int64(s.NowMs);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._locks.Utf8.Length);
                    try
                    {
                        list.Add(PgLockProvider.ReadInfo(reader, key, 1, "admin.locks", s.DataSource));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, "admin.locks", "go_goscope_locks", key))
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

        var db = Db;
        return db.RunAsync("admin.idempotency", PgWork.Read, (_idempotency, pattern, NowMs, db.DataSource), static async (c, s, ct) =>
        {
            var list = new List<IdempotencyKeySummary>();
            await using var command = c.Command(PgSql.AdminIdempotency).Range(s._idempotency, Glob.LiteralPrefix(s.pattern)).Int64(s.NowMs);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._idempotency.Utf8.Length);
                    if (!Glob.IsMatch(s.pattern, key))
                    {
                        continue;
                    }

                    try
                    {
                        list.Add(new IdempotencyKeySummary(
                            key,
                            reader.ReadNullableTime(1, "go_goscope_idempotency", key, "admin.idempotency", s.DataSource),
                            reader.ReadNullableTime(2, "go_goscope_idempotency", key, "admin.idempotency", s.DataSource),
                            reader.GetInt32(3)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, "admin.idempotency", "go_goscope_idempotency", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<IdempotencyKeySummary>)list;
        }, cancellationToken);
    }

    private static async ValueTask<RowCounts> CountsAsync(NpgsqlConnection c, string sql, KeyNamespace ns, long nowMs, CancellationToken ct)
    {
        var (total, expired) = await PairAsync(c, sql, ns, nowMs, ct).ConfigureAwait(false);
        return new RowCounts(total - expired, expired);
    }

    private static async ValueTask<(int First, int Second)> PairAsync(NpgsqlConnection c, string sql, KeyNamespace ns, long? nowMs, CancellationToken ct)
    {
        await using var command = c.Command(sql).Range(ns);
        if (nowMs is { } now)
        {
            command.Int64(now);
        }

        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
        }
    }
}
