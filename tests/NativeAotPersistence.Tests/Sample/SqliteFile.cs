using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sample;

/// <summary>One batch as the sample's simulated upstream recorded it.</summary>
public sealed record UpstreamBatch(long Batch, long Records, long SumMilli, long MinMilli, long MaxMilli);

/// <summary>The upstream's per-job totals.</summary>
public sealed record UpstreamJob(string Job, long Batches, long Records, long SumMilli, long IgnoredRepeats);

/// <summary>Reads SQLite files the sample wrote (its upstream's file, and integrity checks), read-only, with plain SQL.</summary>
public static class SqliteFile
{
    public static string UpstreamOf(string database) =>
        Path.Combine(Path.GetDirectoryName(database)!, Path.GetFileNameWithoutExtension(database) + ".upstream.db");

    public static IReadOnlyList<UpstreamBatch> Batches(string upstream) =>
        Query(upstream, "SELECT batch, records, sum_milli, min_milli, max_milli FROM upstream_batches ORDER BY batch, idempotency_key", s =>
            new UpstreamBatch(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)));

    public static IReadOnlyList<UpstreamJob> Jobs(string upstream) =>
        Query(upstream, "SELECT job, batches, records, sum_milli, ignored_repeats FROM upstream_jobs ORDER BY job", s =>
            new UpstreamJob(sqlite3_column_text(s, 0).utf8_to_string(), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)));

    public static string IntegrityCheck(string path) =>
        string.Join("; ", Query(path, "PRAGMA integrity_check", s => sqlite3_column_text(s, 0).utf8_to_string()));

    /// <summary>Creates an SQLite database that is someone else's: one table, none of the library's.</summary>
    public static void CreateForeign(string path)
    {
        Batteries_V2.Init();
        Assert.Equal(SQLITE_OK, sqlite3_open_v2(path, out var db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, null));
        using (db)
        {
            Assert.Equal(SQLITE_OK, sqlite3_exec(db, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)"));
        }
    }

    private static List<T> Query<T>(string path, string sql, Func<sqlite3_stmt, T> read)
    {
        Batteries_V2.Init();
        Assert.Equal(SQLITE_OK, sqlite3_open_v2(path, out var db, SQLITE_OPEN_READONLY, null));
        using (db)
        {
            Assert.Equal(SQLITE_OK, sqlite3_prepare_v2(db, sql, out var statement));
            using (statement)
            {
                var rows = new List<T>();
                int rc;
                while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
                {
                    rows.Add(read(statement));
                }

                Assert.Equal(SQLITE_DONE, rc);
                return rows;
            }
        }
    }
}
