using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>Plain SQLitePCLRaw access for tests that prepare or inspect files behind the adapter's back.</summary>
public sealed class RawSqlite : IDisposable
{
    static RawSqlite() => Batteries_V2.Init();

    public RawSqlite(string path, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
    {
        var rc = sqlite3_open_v2(path, out var db, flags, null);
        Assert.Equal(SQLITE_OK, rc);
        Handle = db;
    }

    public sqlite3 Handle { get; }

    public void Exec(string sql)
    {
        var rc = sqlite3_exec(Handle, sql, out var error);
        Assert.True(rc == SQLITE_OK, $"{sql}: {error}");
    }

    public int TryExec(string sql) => sqlite3_exec(Handle, sql);

    public string? Scalar(string sql)
    {
        Assert.Equal(SQLITE_OK, sqlite3_prepare_v2(Handle, sql, out var statement));
        using (statement)
        {
            var rc = sqlite3_step(statement);
            return rc == SQLITE_ROW ? sqlite3_column_text(statement, 0).utf8_to_string() : null;
        }
    }

    public long Count(string sql) => long.Parse(Scalar(sql) ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        sqlite3_close_v2(Handle);
        Handle.Dispose();
    }
}
