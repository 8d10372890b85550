using NativeAotPersistence.Sqlite;

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

    public SqliteLockProvider(SqliteContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "lock");
        DefaultTtl = context.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    TimeProvider ILeaseStore.Time => Time;

    string? ILeaseStore.DataSource => Context.DataSource;

    public async ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Ttl.ValidateLock(ttl);
        return await Lease.AcquireAsync(this, key, LockOwners.Validate(owner), ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public unsafe ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.acquire", (_ns, key, owner, ttlMs, Time), &AcquireBody, cancellationToken);

    private static unsafe LeaseGrant AcquireBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long ttlMs, TimeProvider Time) s) =>
        c.InTransaction(s, &AcquireInTransaction, "lock.acquire");

    private static LeaseGrant AcquireInTransaction(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long ttlMs, TimeProvider Time) s)
    {
        const string op = "lock.acquire";

        // Read now, with the writer held: whatever the wait for it, the lease counts from here.
        var now = Ttl.NowMs(s.Time);
        var holder = HolderIdentity.Current;
        long token;
        string? tookOverFrom = null;
        var reentrant = false;
        using (var select = c.Statement(SqliteLockSql.Select, op))
        {
            select.BindKey(1, s._ns, s.key);
            if (select.StepRow() && now < select.ColumnInt64(1))
            {
                var rowOwner = select.ReadText(0);
                if (!string.Equals(rowOwner, s.owner, StringComparison.Ordinal))
                {
                    if (!HolderIdentity.IsGone(
                        select.ReadNullableText(3), select.ReadNullableInt64(4), select.ReadNullableInt64(5), rowOwner))
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
                    token = select.ColumnInt64(2);
                    reentrant = true;
                    if (holder is null || !holder.Recorded(
                        select.ReadNullableText(3), select.ReadNullableInt64(4), select.ReadNullableInt64(5), s.owner))
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

        if (token == 0)
        {
            token = SqliteSchema.NextFencingToken(c, op);
        }

        var expiresAt = Ttl.LockExpiresAt(s.ttlMs, now);
        using (var upsert = c.Statement(SqliteLockSql.Upsert, op))
        {
            upsert.BindKey(1, s._ns, s.key);
            upsert.BindText(2, s.owner);
            upsert.BindInt64(3, expiresAt);
            upsert.BindInt64(4, token);
            upsert.BindNullableText(5, holder?.RecordFor(s.owner));
            upsert.BindInt64(6, holder?.ProcessId);
            upsert.BindInt64(7, holder?.StartTime);
            upsert.Step();
        }

        return new LeaseGrant(token, expiresAt, tookOverFrom, reentrant);
    }

    public async ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var ttlMs = Ttl.ValidateLock(ttl);
        return await RenewAsync(key, owner, 0, ttlMs, cancellationToken).ConfigureAwait(false) != 0;
    }

    public unsafe ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.extend", (_ns, key, owner, token, ttlMs, Time), &ExtendBody, cancellationToken);

    private static long ExtendBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long token, long ttlMs, TimeProvider Time) s) =>
        SqliteLeaseRows.Extend(c, SqliteLockSql.Extend, "lock.extend", s._ns, s.key, s.owner, s.token, s.ttlMs, s.Time);

    public unsafe ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Ignore(Pool.WriteAsync("lock.force_release", (_ns, key), &ForceReleaseBody, cancellationToken));
    }

    private static int ForceReleaseBody(SqliteConnection c, (KeyNamespace _ns, string key) s)
    {
        const string op = "lock.force_release";
        using var statement = c.Statement(SqliteLockSql.ForceRelease, op);
        statement.BindKey(1, s._ns, s.key);
        return statement.Step();
    }

    public unsafe ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Pool.ReadAsync("lock.info", (_ns, key, now: NowMs), &InfoBody, cancellationToken);
    }

    private static LockInfo? InfoBody(SqliteConnection c, (KeyNamespace _ns, string key, long now) s)
    {
        const string op = "lock.info";
        using var statement = c.Statement(SqliteLockSql.Info, op);
        statement.BindKey(1, s._ns, s.key);
        statement.BindInt64(2, s.now);
        return statement.StepRow() ? ReadInfo(statement, s.key, 0) : null;
    }

    public async ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
        LeaseInfo.HeldUntil(await GetInfoAsync(key, cancellationToken).ConfigureAwait(false), owner, token);

    public unsafe ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the row expires by its TTL.
            return new ValueTask<bool>(false);
        }

        return Pool.WriteAsync("lock.release", (_ns, key, owner, token, expiresAtMs), &ReleaseBody, cancellationToken);
    }

    private static bool ReleaseBody(SqliteConnection c, (KeyNamespace _ns, string key, string owner, long token, long expiresAtMs) s) =>
        SqliteLeaseRows.Release(c, SqliteLockSql.Release, "lock.release", s._ns, s.key, s.owner, s.token, s.expiresAtMs);

    public unsafe ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Pool.WriteAsync("lock.prune", (_ns, now: NowMs), &PruneBody, cancellationToken);

    private static int PruneBody(SqliteConnection c, (KeyNamespace _ns, long now) s) =>
        SqliteSweep.Expired(c, SqliteLockSql.Sweep, "lock.prune", s._ns, s.now);

    /// <summary>Reads owner, expiry, token and holder from <paramref name="first"/> on (the lock info and admin listing columns).</summary>
    internal static LockInfo ReadInfo(SqliteStatement statement, string key, int first)
    {
        var owner = statement.ReadText(first);
        return new(key, owner, statement.ReadTime(first + 1, "go_goscope_locks", key), statement.ColumnInt64(first + 2))
        {
            Holder = HolderIdentity.Describe(
                statement.ReadNullableText(first + 3),
                statement.ReadNullableInt64(first + 4),
                statement.ReadNullableInt64(first + 5),
                owner),
        };
    }
}
