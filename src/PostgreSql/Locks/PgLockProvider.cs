using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>
/// <see cref="LockScope.Database"/> locks on PostgreSQL: a row of <c>go_goscope_locks</c> per held key with its owner,
/// expiry and holder, taken by one <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c> statement, so two machines never both
/// hold a key; fencing tokens come from the database's sequence <c>go_goscope_lock_fencing</c>.
/// </summary>
/// <remarks>
/// <para>
/// A lease counts from its grant: once the statement holds the row (after any wait for another transaction or a table
/// lock), the clock is read again and the expiry set from it in the same transaction. A holder process that is gone on
/// this host (<see cref="HolderIdentity"/>) is taken over at once; one on another machine keeps the lock until its TTL
/// runs out (nothing is tied to a session, so a connection reset neither frees a lock early nor hands it to someone else).
/// </para>
/// <para>
/// Expiry is judged by the acquirer's clock: a machine whose clock runs ahead by <em>d</em> can take a lock <em>d</em>
/// before its holder's TTL ends, so keep clocks in sync (NTP keeps them within milliseconds) and use TTLs far above the
/// skew, with fencing tokens where correctness depends on it.
/// </para>
/// </remarks>
internal sealed partial class PgLockProvider : PgProvider, ILockProvider, ILeaseStore
{
    private readonly KeyNamespace _ns;

    public PgLockProvider(PgContext context)
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
        owner = LockOwners.Validate(owner);
        return await Lease.AcquireAsync(this, key, owner, ttl, autoRenew: false, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, long ttlMs, CancellationToken cancellationToken) =>
        // One transaction: retried only when nothing committed. It also holds the row while its token is drawn (see
        // PgLockSql.Acquire) and while the expiry is set from the moment the row was ours.
        Db.RunAsync("lock.acquire", PgWork.Transaction, (_ns, key, owner, ttlMs, Time), static async (c, s, ct) =>
        {
            var holder = HolderIdentity.Current;
            var now = Ttl.NowMs(s.Time);
            long token = -1;
            var reentrant = false;
            await using (var command = c.Command(PgLockSql.Acquire).Key(s._ns, s.key).Utf8(s.owner).Int64(Ttl.LockExpiresAt(s.ttlMs, now)).Int64(now)
                .NullableText(holder?.RecordFor(s.owner)).Int64(holder?.ProcessId).Int64(holder?.StartTime))
            {
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        token = reader.GetInt64(0);
                        reentrant = reader.GetBoolean(1);
                    }
                }
            }

            if (token == -1)
            {
                // Another owner holds it live. Taken over only if its process is gone (on this host), in this transaction.
                string? deadOwner = null;
                await using (var command = c.Command(PgLockSql.Holder).Key(s._ns, s.key).Int64(Ttl.NowMs(s.Time)))
                {
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (await reader.ReadAsync(ct).ConfigureAwait(false)
                            && reader.ReadUtf8(0) is var current
                            && HolderIdentity.IsGone(reader.ReadNullableText(1), reader.ReadNullableInt64(2), reader.ReadNullableInt64(3), current))
                        {
                            deadOwner = current;
                        }
                    }
                }

                if (deadOwner is null)
                {
                    return LeaseGrant.Refused;
                }

                var at = Ttl.NowMs(s.Time);
                await using var takeOver = c.Command(PgLockSql.TakeOver).Key(s._ns, s.key).Utf8(s.owner).Int64(Ttl.LockExpiresAt(s.ttlMs, at))
                    .Utf8(deadOwner).NullableText(holder?.RecordFor(s.owner)).Int64(holder?.ProcessId).Int64(holder?.StartTime);
                if (await takeOver.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long taken)
                {
                    return LeaseGrant.Refused;
                }

                return new LeaseGrant(taken, Ttl.LockExpiresAt(s.ttlMs, at), deadOwner);
            }

            // The row is ours now: count the lease from here, whatever the statement waited for.
            var granted = Ttl.NowMs(s.Time);
            var expiresAt = Ttl.LockExpiresAt(s.ttlMs, granted);
            if (token == 0)
            {
                await using var draw = c.Command(PgLockSql.DrawToken).Key(s._ns, s.key).Int64(expiresAt);
                token = (long)(await draw.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            else if (granted != now)
            {
                await using var set = c.Command(PgLockSql.SetExpiry).Key(s._ns, s.key).Int64(expiresAt);
                await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return new LeaseGrant(token, expiresAt, Reentrant: reentrant);
        }, cancellationToken);

    public async ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var ttlMs = Ttl.ValidateLock(ttl);
        return await RenewAsync(key, owner, 0, ttlMs, cancellationToken).ConfigureAwait(false) != 0;
    }

    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken) =>
        Db.RunAsync("lock.extend", PgWork.Transaction, (_ns, key, owner, token, ttlMs, Time), static async (c, s, ct) =>
        {
            // Lock the owner's row first, then read the clock: a lock that expired meanwhile is never revived.
            long heldUntil;
            await using (var owned = c.Command(PgLockSql.Owned).Key(s._ns, s.key).Utf8(s.owner).Int64(s.token))
            {
                if (await owned.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long expires)
                {
                    return 0L;
                }

                heldUntil = expires;
            }

            var now = Ttl.NowMs(s.Time);
            if (heldUntil <= now)
            {
                return 0L;
            }

            var expiresAt = Ttl.LockExpiresAt(s.ttlMs, now);
            await using var set = c.Command(PgLockSql.SetExpiry).Key(s._ns, s.key).Int64(expiresAt);
            await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return expiresAt;
        }, cancellationToken);

    public async ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        await Db.RunAsync("lock.force_release", PgWork.Idempotent, (_ns, key), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgLockSql.ForceRelease).Key(s._ns, s.key);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var db = Db;
        return db.RunAsync("lock.info", PgWork.Read, (_ns, key, now: NowMs, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgLockSql.Info).Key(s._ns, s.key).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadInfo(reader, s.key, 0, "lock.info", s.DataSource) : null;
            }
        }, cancellationToken);
    }

    public async ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken) =>
        LeaseInfo.HeldUntil(await GetInfoAsync(key, cancellationToken).ConfigureAwait(false), owner, token);

    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the row expires by its TTL.
            return new ValueTask<bool>(false);
        }

        return Db.RunAsync("lock.release", PgWork.Transaction, (_ns, key, owner, token, expiresAtMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgLockSql.Release).Key(s._ns, s.key).Utf8(s.owner).Int64(s.expiresAtMs).Int64(s.token);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <summary>Reads owner, expiry, token and holder from <paramref name="first"/> on (the lock info and admin listing columns).</summary>
    internal static LockInfo ReadInfo(Npgsql.NpgsqlDataReader reader, string key, int first, string operation, string dataSource)
    {
        var owner = reader.ReadUtf8(first);
        return new(key, owner, reader.ReadTime(first + 1, "go_goscope_locks", key, operation, dataSource), reader.GetInt64(first + 2))
        {
            Holder = HolderIdentity.Describe(reader.ReadNullableText(first + 3), reader.ReadNullableInt64(first + 4), reader.ReadNullableInt64(first + 5), owner),
        };
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Db.RunAsync("lock.prune", PgWork.Idempotent, (_ns, now: NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgLockSql.Sweep).Range(s._ns).Int64(s.now);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
}
