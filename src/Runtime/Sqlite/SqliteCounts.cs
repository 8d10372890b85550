using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>The counting queries of the admin statistics, for any kind's namespace.</summary>
internal static class SqliteCounts
{
    /// <summary>Runs a <c>count(*), expired</c> query over the namespace (<c>?1</c>–<c>?2</c>, now as <c>?3</c>).</summary>
    public static RowCounts LiveAndExpired(SqliteConnection c, SqlStatement sql, KeyNamespace ns, long nowMs, string op)
    {
        var (total, expired) = Pair(c, sql, ns, nowMs, op);
        return new RowCounts(total - expired, expired);
    }

    /// <summary>Runs a query over the namespace that returns two counts in one row.</summary>
    public static (int First, int Second) Pair(SqliteConnection c, SqlStatement sql, KeyNamespace ns, long nowMs, string op)
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

    /// <summary>Counts the rows a query over the namespace returns.</summary>
    public static int Rows(SqliteConnection c, SqlStatement sql, KeyNamespace ns, string op)
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
