using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>
/// <see cref="LockScope.Database"/> locks on SQLite: a row of <c>go_goscope_locks</c> per held key, taken in one
/// <c>BEGIN IMMEDIATE</c> transaction together with the database-wide fencing counter, so two processes on the same
/// file never both hold a key.
/// </summary>
internal sealed class SqliteLockProvider : SqliteProvider, ILockProvider, ILockReleaser
{
    private readonly KeyNamespace _ns;

    public SqliteLockProvider(SqliteAdapter adapter)
        : base(adapter)
    {
        _ns = new KeyNamespace(Prefix, "lock");
        DefaultTtl = adapter.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    public ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        owner = LockOwners.Validate(owner);
        var acquired = Pool.WriteAsync("lock.acquire", (_ns, key, owner, now, expiresAt), static (c, s) =>
            c.InTransaction(s, static (c, s) =>
            {
                const string op = "lock.acquire";
                long token;
                var select = c.Statement(SqlId.LockSelect, op);
                try
                {
                    c.BindKey(select, 1, s._ns, s.key, op);
                    if (c.Check(Sqlite3.Step(select), op) == SQLITE_ROW && s.now < Sqlite3.ColumnInt64(select, 1))
                    {
                        if (!sqlite3_column_blob(select, 0).SequenceEqual(System.Text.Encoding.UTF8.GetBytes(s.owner)))
                        {
                            return 0L;
                        }

                        // Re-entrant: the same owner gets a fresh TTL and keeps its token.
                        token = Sqlite3.ColumnInt64(select, 2);
                    }
                    else
                    {
                        token = 0;
                    }
                }
                finally
                {
                    c.Reset(select);
                }

                if (token == 0)
                {
                    token = NextToken(c, op);
                }

                var upsert = c.Statement(SqlId.LockUpsert, op);
                try
                {
                    c.BindKey(upsert, 1, s._ns, s.key, op);
                    c.BindText(upsert, 2, s.owner, op);
                    c.BindInt64(upsert, 3, s.expiresAt, op);
                    c.BindInt64(upsert, 4, token, op);
                    c.Check(Sqlite3.Step(upsert), op);
                }
                finally
                {
                    c.Reset(upsert);
                }

                return token;
            }, "lock.acquire"), cancellationToken);

        return Map(acquired, token => token == 0 ? null : (ILockHandle)new LockHandle(this, this, Time, key, owner, token, expiresAt));
    }

    public ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var now = NowMs;
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        return Pool.WriteAsync("lock.extend", (_ns, key, owner, now, expiresAt), static (c, s) =>
        {
            const string op = "lock.extend";
            var statement = c.Statement(SqlId.LockExtend, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindText(statement, 2, s.owner, op);
                c.BindInt64(statement, 3, s.now, op);
                c.BindInt64(statement, 4, s.expiresAt, op);
                c.Check(Sqlite3.Step(statement), op);
                return Sqlite3.Changes(c.Handle) == 1;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Ignore(Pool.WriteAsync("lock.force_release", (_ns, key), static (c, s) =>
        {
            const string op = "lock.force_release";
            var statement = c.Statement(SqlId.LockForceRelease, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                return c.Check(Sqlite3.Step(statement), op);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken));
    }

    public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.ReadAsync("lock.info", (_ns, key, NowMs), static (c, s) =>
        {
            const string op = "lock.info";
            var statement = c.Statement(SqlId.LockInfo, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindInt64(statement, 2, s.Item3, op);
                return c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW
                    ? new LockInfo(s.key, SqliteConnection.ReadText(statement, 0), Ttl.FromUnixMs(Sqlite3.ColumnInt64(statement, 1)), Sqlite3.ColumnInt64(statement, 2))
                    : null;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        if (!Adapter.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the row expires by its TTL.
            return new ValueTask<bool>(false);
        }

        return Pool.WriteAsync("lock.release", (_ns, key, owner), static (c, s) =>
        {
            const string op = "lock.release";
            var statement = c.Statement(SqlId.LockRelease, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindText(statement, 2, s.owner, op);
                c.Check(Sqlite3.Step(statement), op);
                return Sqlite3.Changes(c.Handle) == 1;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    internal ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.prune", (_ns, NowMs), static (c, s) =>
        {
            const string op = "lock.prune";
            var statement = c.Statement(SqlId.LockSweep, op);
            try
            {
                c.BindRange(statement, s._ns, default, op);
                c.BindInt64(statement, 3, s.NowMs, op);
                c.Check(Sqlite3.Step(statement), op);
                return Sqlite3.Changes(c.Handle);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);

    private static long NextToken(SqliteConnection c, string op)
    {
        var statement = c.Statement(SqlId.LockNextToken, op);
        try
        {
            if (c.Check(Sqlite3.Step(statement), op) != SQLITE_ROW)
            {
                throw new PersistenceException(
                    $"The database '{c.DataSource}' has no lock fencing counter in go_goscope_meta; it was not created by this library.",
                    PersistenceErrorKind.Corrupt,
                    op,
                    c.DataSource);
            }

            return Sqlite3.ColumnInt64(statement, 0);
        }
        finally
        {
            c.Reset(statement);
        }
    }
}
