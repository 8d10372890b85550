namespace NativeAotPersistence.Sqlite;

/// <summary>Reclaiming expired rows of a namespace, for any kind whose sweep statement takes (lo, hi, now[, limit]).</summary>
internal static class SqliteSweep
{
    /// <summary>Removes every row of <paramref name="ns"/> expired at <paramref name="nowMs"/> (a statement of (lo, hi, now)).</summary>
    /// <returns>The rows removed.</returns>
    public static int Expired(SqliteConnection c, SqlStatement sql, string op, KeyNamespace ns, long nowMs)
    {
        using var statement = c.Statement(sql, op);
        statement.BindRange(ns, default);
        statement.BindInt64(3, nowMs);
        statement.Step();
        return statement.Changes();
    }

    /// <summary>Removes up to <paramref name="limit"/> rows of <paramref name="ns"/> expired at <paramref name="nowMs"/>.</summary>
    /// <returns>The rows removed.</returns>
    public static int Expired(SqliteConnection c, SqlStatement sql, string op, KeyNamespace ns, long nowMs, int limit)
    {
        using var statement = c.Statement(sql, op);
        statement.BindRange(ns, default);
        statement.BindInt64(3, nowMs);
        statement.BindInt64(4, limit);
        statement.Step();
        return statement.Changes();
    }

    /// <summary>
    /// Best-effort reclaim after a committed write: a busy database must not fail (or, by a retry, repeat) the write.
    /// </summary>
    /// <returns>The rows removed, or -1 when the database was busy.</returns>
    public static int TryExpired(SqliteConnection c, SqlStatement sql, string op, KeyNamespace ns, long nowMs, int limit)
    {
        try
        {
            return Expired(c, sql, op, ns, nowMs, limit);
        }
        catch (SqliteBusyException)
        {
            return -1;
        }
    }
}
