namespace NativeAotPersistence.Sqlite;

/// <summary>
/// The lease-row statements the lease-holding kinds (locks, semaphores) share, each kind with its own SQL of the same
/// parameters: renewing a holder's row and releasing it, both checked by owner and fencing token.
/// </summary>
internal static class SqliteLeaseRows
{
    /// <summary>
    /// Renews the row of <paramref name="owner"/> under <paramref name="key"/> (a statement of key, owner, now, new expiry,
    /// token) for <paramref name="ttlMs"/> from the store's clock, read here, inside the write.
    /// </summary>
    /// <returns>The new expiry (Unix ms), or 0 when the row is not the holder's any more.</returns>
    public static long Extend(SqliteConnection c, SqlStatement sql, string op, KeyNamespace ns, string key, string owner, long token, long ttlMs, TimeProvider time)
    {
        var now = Ttl.NowMs(time);
        var expiresAt = Ttl.LockExpiresAt(ttlMs, now);
        using var statement = c.Statement(sql, op);
        statement.BindKey(1, ns, key);
        statement.BindText(2, owner);
        statement.BindInt64(3, now);
        statement.BindInt64(4, expiresAt);
        statement.BindInt64(5, token);
        statement.Step();
        return statement.Changes() == 1 ? expiresAt : 0;
    }

    /// <summary>Deletes the holder's row (a statement of key, owner, expiry, token); returns whether it was still the holder's.</summary>
    public static bool Release(SqliteConnection c, SqlStatement sql, string op, KeyNamespace ns, string key, string owner, long token, long expiresAtMs)
    {
        using var statement = c.Statement(sql, op);
        statement.BindKey(1, ns, key);
        statement.BindText(2, owner);
        statement.BindInt64(3, expiresAtMs);
        statement.BindInt64(4, token);
        statement.Step();
        return statement.Changes() == 1;
    }
}
