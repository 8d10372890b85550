using NativeAotPersistence.Sqlite;

namespace NativeAotPersistence;

/// <summary>
/// Semaphores on SQLite: a row of <c>go_goscope_semaphores</c> per permit, granted in one <c>BEGIN IMMEDIATE</c>
/// transaction that drops the key's expired and dead holders, checks the limit and takes a token from the database's
/// fencing counter, so the processes on one file never hold more than the limit. Every expiry is computed inside the
/// writing transaction, from the clock read once the writer was free, so a permit counts from its grant.
/// </summary>
internal sealed partial class SqliteSemaphoreProvider : SqliteProvider, ISemaphoreProvider, ISemaphoreStore
{
    private readonly KeyNamespace _ns;

    public SqliteSemaphoreProvider(SqliteContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "semaphore");
        DefaultTtl = context.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    TimeProvider ISemaphoreStore.Time => Time;

    string? ISemaphoreStore.DataSource => Context.DataSource;

    public async ValueTask<ILockHandle?> AcquireAsync(string key, int permits, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Ttl.ValidateLock(ttl);
        return await SemaphoreLeases.AcquireAsync(this, key, permits, owner, ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public unsafe ValueTask<LeaseGrant> GrantAsync(string key, string owner, int permits, long ttlMs, CancellationToken cancellationToken) =>
        Pool.WriteAsync("semaphore.acquire", (_ns, key, owner, permits, ttlMs, Time), &AcquireBody, cancellationToken);

    private static unsafe LeaseGrant AcquireBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, int permits, long ttlMs, TimeProvider Time) s) =>
        c.InTransaction(s, &AcquireInTransaction, "semaphore.acquire");

    private static LeaseGrant AcquireInTransaction(SqliteConnection c, (KeyNamespace _ns, string key, string owner, int permits, long ttlMs, TimeProvider Time) s)
    {
        const string op = "semaphore.acquire";

        // Read now, with the writer held: whatever the wait for it, the permit counts from here.
        var now = Ttl.NowMs(s.Time);
        var holder = HolderIdentity.Current;
        List<string>? gone = null;
        string? tookOverFrom = null;
        var live = 0;
        long token = 0;
        var reentrant = false;
        using (var select = c.Statement(SqliteSemaphoreSql.Select, op))
        {
            select.BindKey(1, s._ns, s.key);
            while (select.StepRow())
            {
                var rowOwner = select.ReadText(0);
                var mine = string.Equals(rowOwner, s.owner, StringComparison.Ordinal);
                if (now >= select.ColumnInt64(1)
                    || (!mine && HolderIdentity.IsGone(select.ReadNullableText(4), select.ReadNullableInt64(5), select.ReadNullableInt64(6), rowOwner)))
                {
                    // Expired, or its holder process is gone (same host): its permit is free now.
                    (gone ??= []).Add(rowOwner);
                    if (now < select.ColumnInt64(1))
                    {
                        tookOverFrom ??= rowOwner;
                    }

                    continue;
                }

                var stored = select.ColumnInt(3);
                if (stored != s.permits)
                {
                    throw SemaphoreLeases.LimitMismatch(s.key, s.permits, stored);
                }

                if (mine)
                {
                    // Re-entrant: the same owner gets a fresh TTL and keeps its permit and token. Held from two
                    // processes now, it records no holder: one of them ending must not free the permit.
                    token = select.ColumnInt64(2);
                    reentrant = true;
                    if (holder is null || !holder.Recorded(select.ReadNullableText(4), select.ReadNullableInt64(5), select.ReadNullableInt64(6), s.owner))
                    {
                        holder = null;
                    }
                }
                else
                {
                    live++;
                }
            }
        }

        if (gone is not null)
        {
            foreach (var rowOwner in gone)
            {
                using var delete = c.Statement(SqliteSemaphoreSql.Delete, op);
                delete.BindKey(1, s._ns, s.key);
                delete.BindText(2, rowOwner);
                delete.Step();
            }
        }

        if (!reentrant)
        {
            if (live >= s.permits)
            {
                return LeaseGrant.Refused;
            }

            token = SqliteSchema.NextFencingToken(c, op);
        }

        var expiresAt = Ttl.LockExpiresAt(s.ttlMs, now);
        using (var upsert = c.Statement(SqliteSemaphoreSql.Upsert, op))
        {
            upsert.BindKey(1, s._ns, s.key);
            upsert.BindText(2, s.owner);
            upsert.BindInt64(3, s.permits);
            upsert.BindInt64(4, expiresAt);
            upsert.BindInt64(5, token);
            upsert.BindNullableText(6, holder?.RecordFor(s.owner));
            upsert.BindInt64(7, holder?.ProcessId);
            upsert.BindInt64(8, holder?.StartTime);
            upsert.Step();
        }

        return new LeaseGrant(token, expiresAt, reentrant ? null : tookOverFrom, reentrant);
    }

    public unsafe ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken) =>
        Pool.WriteAsync("semaphore.extend", (_ns, key, owner, token, ttlMs, Time), &ExtendBody, cancellationToken);

    private static long ExtendBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long token, long ttlMs, TimeProvider Time) s) =>
        SqliteLeaseRows.Extend(c, SqliteSemaphoreSql.Extend, "semaphore.extend", s._ns, s.key, s.owner, s.token, s.ttlMs, s.Time);

    public unsafe ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the permit expires by its TTL.
            return new ValueTask<bool>(false);
        }

        return Pool.WriteAsync("semaphore.release", (_ns, key, owner, token, expiresAtMs), &ReleaseBody, cancellationToken);
    }

    private static bool ReleaseBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long token, long expiresAtMs) s) =>
        SqliteLeaseRows.Release(c, SqliteSemaphoreSql.Release, "semaphore.release", s._ns, s.key, s.owner, s.token, s.expiresAtMs);

    public unsafe ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            return new ValueTask<long>(0L);
        }

        return Pool.ReadAsync("semaphore.info", (_ns, key, owner, token, now: NowMs), &HeldUntilBody, cancellationToken);
    }

    private static long HeldUntilBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long token, long now) s)
    {
        const string op = "semaphore.info";
        using var statement = c.Statement(SqliteSemaphoreSql.HeldUntil, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindText(2, s.owner);
        statement.BindInt64(3, s.now);
        return statement.StepRow() && (s.token == 0 || statement.ColumnInt64(1) == s.token) ? statement.ColumnInt64(0) : 0L;
    }

    public unsafe ValueTask<SemaphoreInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.ReadAsync("semaphore.info", (_ns, key, now: NowMs), &InfoBody, cancellationToken);
    }

    private static SemaphoreInfo? InfoBody(SqliteConnection c, (KeyNamespace _ns, string key, long now) s)
    {
        const string op = "semaphore.info";
        using var statement = c.Statement(SqliteSemaphoreSql.Info, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindInt64(2, s.now);
        List<SemaphoreHolder>? holders = null;
        var permits = 0;
        while (statement.StepRow())
        {
            (holders ??= []).Add(ReadHolder(statement, s.key, 0));
            permits = statement.ColumnInt(3);
        }

        return holders is null ? null : new SemaphoreInfo(s.key, permits, holders);
    }

    public unsafe ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Ignore(Pool.WriteAsync("semaphore.force_release", (_ns, key), &ForceReleaseBody, cancellationToken));
    }

    private static int ForceReleaseBody(SqliteConnection c, (KeyNamespace _ns, string key) s)
    {
        const string op = "semaphore.force_release";
        using var statement = c.Statement(SqliteSemaphoreSql.ForceRelease, op);
        statement.BindKey(1, s._ns, s.key);
        return statement.Step();
    }

    /// <summary>Reads owner, expiry, token, (limit,) holder columns from <paramref name="first"/> on.</summary>
    private static SemaphoreHolder ReadHolder(SqliteStatement statement, string key, int first)
    {
        var owner = statement.ReadText(first);
        return new SemaphoreHolder(owner, statement.ReadTime(first + 1, "go_goscope_semaphores", key), statement.ColumnInt64(first + 2))
        {
            Holder = HolderIdentity.Describe(
                statement.ReadNullableText(first + 4),
                statement.ReadNullableInt64(first + 5),
                statement.ReadNullableInt64(first + 6),
                owner),
        };
    }
}
