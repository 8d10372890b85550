using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>
/// <see cref="LockScope.Database"/> locks on SQLite: a row of <c>go_goscope_locks</c> per held key, taken in one
/// <c>BEGIN IMMEDIATE</c> transaction together with the database-wide fencing counter, so two processes on the same
/// file never both hold a key. Every expiry is computed inside the writing transaction, from the clock read once the
/// writer was free, so a lease counts from its grant. Each row records its holder (<see cref="HolderIdentity"/>), so a
/// holder that died on this host is taken over at once.
/// </summary>
internal sealed partial class SqliteLockProvider : SqliteProvider, ILockProvider, ILeaseStore
{
    private readonly KeyNamespace _ns;

    public SqliteLockProvider(SqliteAdapter adapter)
        : base(adapter)
    {
        _ns = new KeyNamespace(Prefix, "lock");
        DefaultTtl = adapter.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    TimeProvider ILeaseStore.Time => Time;

    string? ILeaseStore.DataSource => Adapter.DataSource;

    public async ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Ttl.ValidateLock(ttl);
        return await Lease.AcquireAsync(this, key, LockOwners.Validate(owner), ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.acquire", (_ns, key, owner, ttlMs, Time), static (c, s) =>
            c.InTransaction(s, static (c, s) =>
            {
                const string op = "lock.acquire";

                // Read now, with the writer held: whatever the wait for it, the lease counts from here.
                var now = Ttl.NowMs(s.Time);
                var holder = HolderIdentity.Current;
                long token;
                string? tookOverFrom = null;
                var reentrant = false;
                var select = c.Statement(SqlId.LockSelect, op);
                try
                {
                    c.BindKey(select, 1, s._ns, s.key, op);
                    if (c.Check(Sqlite3.Step(select), op) == SQLITE_ROW && now < Sqlite3.ColumnInt64(select, 1))
                    {
                        var rowOwner = SqliteConnection.ReadText(select, 0);
                        if (!string.Equals(rowOwner, s.owner, StringComparison.Ordinal))
                        {
                            if (!HolderIdentity.IsGone(
                                SqliteConnection.ReadNullableText(select, 3), SqliteConnection.ReadNullableInt64(select, 4), SqliteConnection.ReadNullableInt64(select, 5), rowOwner))
                            {
                                return LeaseGrant.Refused;
                            }

                            // Its holder process is gone (same host): taken over now, as a new holder.
                            tookOverFrom = rowOwner;
                            token = 0;
                        }
                        else
                        {
                            // Re-entrant: the same owner gets a fresh TTL and keeps its token. Held from two processes
                            // now, it records no holder: one of them ending must not let a third owner in.
                            token = Sqlite3.ColumnInt64(select, 2);
                            reentrant = true;
                            if (holder is null || !holder.Recorded(
                                SqliteConnection.ReadNullableText(select, 3), SqliteConnection.ReadNullableInt64(select, 4), SqliteConnection.ReadNullableInt64(select, 5), s.owner))
                            {
                                holder = null;
                            }
                        }
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

                var expiresAt = Ttl.LockExpiresAt(s.ttlMs, now);
                var upsert = c.Statement(SqlId.LockUpsert, op);
                try
                {
                    c.BindKey(upsert, 1, s._ns, s.key, op);
                    c.BindText(upsert, 2, s.owner, op);
                    c.BindInt64(upsert, 3, expiresAt, op);
                    c.BindInt64(upsert, 4, token, op);
                    c.BindNullableText(upsert, 5, holder?.RecordFor(s.owner), op);
                    c.BindInt64(upsert, 6, holder?.ProcessId, op);
                    c.BindInt64(upsert, 7, holder?.StartTime, op);
                    c.Check(Sqlite3.Step(upsert), op);
                }
                finally
                {
                    c.Reset(upsert);
                }

                return new LeaseGrant(token, expiresAt, tookOverFrom, reentrant);
            }, "lock.acquire"), cancellationToken);

    public async ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var ttlMs = Ttl.ValidateLock(ttl);
        return await RenewAsync(key, owner, 0, ttlMs, cancellationToken).ConfigureAwait(false) != 0;
    }

    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.extend", (_ns, key, owner, token, ttlMs, Time), static (c, s) =>
        {
            const string op = "lock.extend";
            var now = Ttl.NowMs(s.Time);
            var expiresAt = Ttl.LockExpiresAt(s.ttlMs, now);
            var statement = c.Statement(SqlId.LockExtend, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindText(statement, 2, s.owner, op);
                c.BindInt64(statement, 3, now, op);
                c.BindInt64(statement, 4, expiresAt, op);
                c.BindInt64(statement, 5, s.token, op);
                c.Check(Sqlite3.Step(statement), op);
                return Sqlite3.Changes(c.Handle) == 1 ? expiresAt : 0;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);

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
        return Pool.ReadAsync("lock.info", (_ns, key, now: NowMs), static (c, s) =>
        {
            const string op = "lock.info";
            var statement = c.Statement(SqlId.LockInfo, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindInt64(statement, 2, s.now, op);
                return c.Check(Sqlite3.Step(statement), op) == SQLITE_ROW ? ReadInfo(c, statement, s.key, 0, op) : null;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public async ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
        LeaseInfo.HeldUntil(await GetInfoAsync(key, cancellationToken).ConfigureAwait(false), owner, token);

    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Adapter.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the row expires by its TTL.
            return new ValueTask<bool>(false);
        }

        return Pool.WriteAsync("lock.release", (_ns, key, owner, token, expiresAtMs), static (c, s) =>
        {
            const string op = "lock.release";
            var statement = c.Statement(SqlId.LockRelease, op);
            try
            {
                c.BindKey(statement, 1, s._ns, s.key, op);
                c.BindText(statement, 2, s.owner, op);
                c.BindInt64(statement, 3, s.expiresAtMs, op);
                c.BindInt64(statement, 4, s.token, op);
                c.Check(Sqlite3.Step(statement), op);
                return Sqlite3.Changes(c.Handle) == 1;
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.prune", (_ns, now: NowMs), static (c, s) =>
        {
            const string op = "lock.prune";
            var statement = c.Statement(SqlId.LockSweep, op);
            try
            {
                c.BindRange(statement, s._ns, default, op);
                c.BindInt64(statement, 3, s.now, op);
                c.Check(Sqlite3.Step(statement), op);
                return Sqlite3.Changes(c.Handle);
            }
            finally
            {
                c.Reset(statement);
            }
        }, cancellationToken);

    /// <summary>Reads owner, expiry, token and holder from <paramref name="first"/> on (the lock info and admin listing columns).</summary>
    internal static LockInfo ReadInfo(SqliteConnection c, SQLitePCL.sqlite3_stmt statement, string key, int first, string op)
    {
        var owner = SqliteConnection.ReadText(statement, first);
        return new(key, owner, c.ReadTime(statement, first + 1, "go_goscope_locks", key, op), Sqlite3.ColumnInt64(statement, first + 2))
        {
            Holder = HolderIdentity.Describe(
                SqliteConnection.ReadNullableText(statement, first + 3),
                SqliteConnection.ReadNullableInt64(statement, first + 4),
                SqliteConnection.ReadNullableInt64(statement, first + 5),
                owner),
        };
    }

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
