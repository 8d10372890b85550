using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>The counting queries of the admin statistics, for any kind's namespace.</summary>
internal static class SqliteCounts
{
    /// <summary>Runs a <c>count(*), expired</c> query over the namespace (<c>?1</c>–<c>?2</c>, now as <c>?3</c>).</summary>
    public static RowCounts LiveAndExpired(SqliteConnection c, SqlId sql, KeyNamespace ns, long nowMs, string op)
    {
        var (total, expired) = Pair(c, sql, ns, nowMs, op);
        return new RowCounts(total - expired, expired);
    }

    /// <summary>Runs a query over the namespace that returns two counts in one row.</summary>
    public static (int First, int Second) Pair(SqliteConnection c, SqlId sql, KeyNamespace ns, long nowMs, string op)
    {
        var statement = c.Statement(sql, op);
        try
        {
            c.BindRange(statement, ns, default, op);
            if (sqlite3_bind_parameter_count(statement) >= 3)
            {
                c.BindInt64(statement, 3, nowMs, op);
            }

            c.Check(Sqlite3.Step(statement), op);
            return (Sqlite3.ColumnInt(statement, 0), Sqlite3.ColumnInt(statement, 1));
        }
        finally
        {
            c.Reset(statement);
        }
    }

    /// <summary>Counts the rows a query over the namespace returns.</summary>
    public static int Rows(SqliteConnection c, SqlId sql, KeyNamespace ns, string op)
    {
        var statement = c.Statement(sql, op);
        var count = 0;
        try
        {
            c.BindRange(statement, ns, default, op);
            while (c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW)
            {
                count++;
            }
        }
        finally
        {
            c.Reset(statement);
        }

        return count;
    }
}
