using SQLitePCL;
using static SQLitePCL.raw;

namespace AotConsole;

/// <summary>The simulated upstream's storage for the SQLite store: its own file next to the tool's (<c>*.upstream.db</c>).</summary>
internal sealed class SqliteUpstream : IUpstream
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=NORMAL;
        CREATE TABLE IF NOT EXISTS upstream_batches(
            idempotency_key TEXT PRIMARY KEY, job TEXT NOT NULL, batch INTEGER NOT NULL, records INTEGER NOT NULL,
            sum_milli INTEGER NOT NULL, min_milli INTEGER NOT NULL, max_milli INTEGER NOT NULL, accepted_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS upstream_jobs(
            job TEXT PRIMARY KEY, batches INTEGER NOT NULL DEFAULT 0, records INTEGER NOT NULL DEFAULT 0,
            sum_milli INTEGER NOT NULL DEFAULT 0, ignored_repeats INTEGER NOT NULL DEFAULT 0);
        """;

    private readonly sqlite3 _db;
    private readonly string _path;
    private readonly Lock _sync = new();

    private SqliteUpstream(sqlite3 db, string path)
    {
        _db = db;
        _path = path;
    }

    /// <summary>The upstream's file for a tool database: <c>x/aotconsole.db</c> → <c>x/aotconsole.upstream.db</c>.</summary>
    public static string PathFor(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        var directory = Path.GetDirectoryName(full) ?? ".";
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(full) + ".upstream.db");
    }

    public static SqliteUpstream Open(string path)
    {
        Batteries_V2.Init();
        var rc = sqlite3_open_v2(path, out var db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, null);
        var upstream = new SqliteUpstream(db, path);
        try
        {
            upstream.Check(rc, "open");
            sqlite3_busy_timeout(db, 5000);
            upstream.Check(sqlite3_exec(db, Schema), "create its tables");
            return upstream;
        }
        catch
        {
            upstream.Dispose();
            throw;
        }
    }

    public ValueTask<BatchReceipt> DeliverAsync(string batchId, string job, int batch, BatchAggregate aggregate, DateTimeOffset now, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Deliver(batchId, job, batch, aggregate, now));

    public ValueTask<UpstreamTotals> TotalsAsync(string job, CancellationToken cancellationToken) => ValueTask.FromResult(Totals(job));

    private BatchReceipt Deliver(string batchId, string job, int batch, BatchAggregate aggregate, DateTimeOffset now)
    {
        lock (_sync)
        {
            Exec("BEGIN IMMEDIATE");
            try
            {
                Run("INSERT INTO upstream_jobs(job) VALUES(?1) ON CONFLICT(job) DO NOTHING", s => sqlite3_bind_text(s, 1, job));
                var inserted = Run(
                    "INSERT INTO upstream_batches VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(idempotency_key) DO NOTHING",
                    s =>
                    {
                        sqlite3_bind_text(s, 1, batchId);
                        sqlite3_bind_text(s, 2, job);
                        sqlite3_bind_int64(s, 3, batch);
                        sqlite3_bind_int64(s, 4, aggregate.Records);
                        sqlite3_bind_int64(s, 5, aggregate.SumMilli);
                        sqlite3_bind_int64(s, 6, aggregate.MinMilli);
                        sqlite3_bind_int64(s, 7, aggregate.MaxMilli);
                        sqlite3_bind_int64(s, 8, now.ToUnixTimeMilliseconds());
                    }) == 1;
                if (inserted)
                {
                    Run(
                        "UPDATE upstream_jobs SET batches = batches + 1, records = records + ?2, sum_milli = sum_milli + ?3 WHERE job = ?1",
                        s =>
                        {
                            sqlite3_bind_text(s, 1, job);
                            sqlite3_bind_int64(s, 2, aggregate.Records);
                            sqlite3_bind_int64(s, 3, aggregate.SumMilli);
                        });
                }
                else
                {
                    Run("UPDATE upstream_jobs SET ignored_repeats = ignored_repeats + 1 WHERE job = ?1", s => sqlite3_bind_text(s, 1, job));
                }

                var sequence = QueryInt64("SELECT rowid FROM upstream_batches WHERE idempotency_key = ?1", s => sqlite3_bind_text(s, 1, batchId));
                Exec("COMMIT");
                return new BatchReceipt(batchId, sequence, Repeat: !inserted, now);
            }
            catch
            {
                sqlite3_exec(_db, "ROLLBACK");
                throw;
            }
        }
    }

    private UpstreamTotals Totals(string job)
    {
        lock (_sync)
        {
            var statement = Prepare("SELECT batches, records, sum_milli, ignored_repeats FROM upstream_jobs WHERE job = ?1");
            try
            {
                sqlite3_bind_text(statement, 1, job);
                var rc = sqlite3_step(statement);
                if (rc == SQLITE_DONE)
                {
                    return default;
                }

                Check(rc == SQLITE_ROW ? SQLITE_OK : rc, "read its totals");
                return new UpstreamTotals(
                    sqlite3_column_int(statement, 0),
                    sqlite3_column_int64(statement, 1),
                    sqlite3_column_int64(statement, 2),
                    sqlite3_column_int(statement, 3));
            }
            finally
            {
                sqlite3_finalize(statement);
            }
        }
    }

    public void Dispose() => _db.Dispose();

    private void Exec(string sql) => Check(sqlite3_exec(_db, sql), sql);

    private int Run(string sql, Action<sqlite3_stmt> bind)
    {
        var statement = Prepare(sql);
        try
        {
            bind(statement);
            var rc = sqlite3_step(statement);
            Check(rc == SQLITE_DONE ? SQLITE_OK : rc, "write");
            return sqlite3_changes(_db);
        }
        finally
        {
            sqlite3_finalize(statement);
        }
    }

    private long QueryInt64(string sql, Action<sqlite3_stmt> bind)
    {
        var statement = Prepare(sql);
        try
        {
            bind(statement);
            var rc = sqlite3_step(statement);
            Check(rc == SQLITE_ROW ? SQLITE_OK : rc, "read");
            return sqlite3_column_int64(statement, 0);
        }
        finally
        {
            sqlite3_finalize(statement);
        }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(sqlite3_prepare_v2(_db, sql, out var statement), "prepare a statement");
        return statement;
    }

    private void Check(int rc, string what)
    {
        if (rc != SQLITE_OK)
        {
            var detail = _db is null || _db.IsInvalid ? sqlite3_errstr(rc).utf8_to_string() : sqlite3_errmsg(_db).utf8_to_string();
            throw new UpstreamStoreException($"the simulated upstream's file '{_path}' could not {what}: {detail}");
        }
    }
}
