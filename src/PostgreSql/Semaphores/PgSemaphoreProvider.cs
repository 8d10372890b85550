using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>
/// Semaphores on PostgreSQL: a row of <c>go_goscope_semaphores</c> per permit, granted in one transaction that first
/// takes a transaction-scoped advisory lock on the key (<see cref="PgSemaphoreSql.GrantLock"/>), so the grants of a key
/// on every machine run one at a time; it then drops the key's expired and dead holders, checks the limit and draws a
/// token from the database's fencing sequence (the same as locks'), so the machines never hold more than the limit.
/// </summary>
/// <remarks>
/// As with <see cref="PgLockProvider"/>: a permit counts from its grant (the clock is read once the key's lock is held),
/// a holder process that is gone on this host frees its permit at once while one on another machine keeps it until its
/// TTL runs out, and expiry is judged by the acquirer's clock (keep clocks in sync; TTLs far above the skew).
/// </remarks>
internal sealed partial class PgSemaphoreProvider : PgProvider, ISemaphoreProvider, ISemaphoreStore
{
    private readonly KeyNamespace _ns;

    public PgSemaphoreProvider(PgContext context)
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

    public ValueTask<LeaseGrant> GrantAsync(string key, string owner, int permits, long ttlMs, CancellationToken cancellationToken) =>
        // One transaction: retried only when nothing committed. It holds the key's advisory lock from its first statement
        // to its COMMIT, so the count, the deletions, the token and the insert are one step for every other grant of the key.
        Db.RunAsync("semaphore.acquire", PgWork.Transaction, (_ns, key, owner, permits, ttlMs, Time), static async (c, s, ct) =>
        {
            await using (var grantLock = c.Command(PgSemaphoreSql.GrantLock).Key(s._ns, s.key))
            {
                await grantLock.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            // Read now, with the key held: whatever the wait for it, the permit counts from here.
            var now = Ttl.NowMs(s.Time);
            var holder = HolderIdentity.Current;
            List<string>? gone = null;
            string? tookOverFrom = null;
            var live = 0;
            long token = 0;
            var reentrant = false;
            await using (var select = c.Command(PgSemaphoreSql.Select).Key(s._ns, s.key))
            {
                var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        var rowOwner = reader.ReadUtf8(0);
                        var expiresAt = reader.GetInt64(1);
                        var (host, pid, start) = (reader.ReadNullableText(4), reader.ReadNullableInt64(5), reader.ReadNullableInt64(6));
                        var mine = string.Equals(rowOwner, s.owner, StringComparison.Ordinal);
                        if (now >= expiresAt || (!mine && HolderIdentity.IsGone(host, pid, start, rowOwner)))
                        {
                            // Expired, or its holder process is gone (same host): its permit is free now.
                            (gone ??= []).Add(rowOwner);
                            if (now < expiresAt)
                            {
                                tookOverFrom ??= rowOwner;
                            }

                            continue;
                        }

                        var stored = reader.GetInt32(3);
                        if (stored != s.permits)
                        {
                            throw SemaphoreLeases.LimitMismatch(s.key, s.permits, stored);
                        }

                        if (mine)
                        {
                            // Re-entrant: the same owner gets a fresh TTL and keeps its permit and token. Held from two
                            // processes now, it records no holder: one of them ending must not free the permit.
                            token = reader.GetInt64(2);
                            reentrant = true;
                            if (holder is null || pid != holder.ProcessId || start != holder.StartTime
                                || !string.Equals(host, holder.RecordFor(s.owner), StringComparison.Ordinal))
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
            }

            if (gone is not null)
            {
                foreach (var rowOwner in gone)
                {
                    await using var delete = c.Command(PgSemaphoreSql.Delete).Key(s._ns, s.key).Utf8(rowOwner);
                    await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            }

            if (!reentrant)
            {
                if (live >= s.permits)
                {
                    return LeaseGrant.Refused;
                }

                await using var next = c.Command(PgSemaphoreSql.NextToken);
                token = (long)(await next.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }

            var granted = Ttl.LockExpiresAt(s.ttlMs, now);
            await using (var upsert = c.Command(PgSemaphoreSql.Upsert).Key(s._ns, s.key).Utf8(s.owner).Int64(s.permits).Int64(granted).Int64(token)
                .NullableText(holder?.RecordFor(s.owner)).Int64(holder?.ProcessId).Int64(holder?.StartTime))
            {
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return new LeaseGrant(token, granted, reentrant ? null : tookOverFrom, reentrant);
        }, cancellationToken);

    public ValueTask<long> RenewAsync(string key, string owner, long token, long ttlMs, CancellationToken cancellationToken) =>
        Db.RunAsync("semaphore.extend", PgWork.Transaction, (_ns, key, owner, token, ttlMs, Time), static async (c, s, ct) =>
        {
            // Lock the owner's row first, then read the clock: a permit that expired meanwhile is never revived.
            long heldUntil;
            await using (var owned = c.Command(PgSemaphoreSql.Owned).Key(s._ns, s.key).Utf8(s.owner).Int64(s.token))
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
            await using var set = c.Command(PgSemaphoreSql.SetExpiry).Key(s._ns, s.key).Utf8(s.owner).Int64(expiresAt);
            await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return expiresAt;
        }, cancellationToken);

    public ValueTask<bool> ReleaseAsync(string key, string owner, long token, long expiresAtMs, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            // Disposing a handle after the adapter disconnected is not an error; the permit expires by its TTL.
            return new ValueTask<bool>(false);
        }

        return Db.RunAsync("semaphore.release", PgWork.Transaction, (_ns, key, owner, token, expiresAtMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSemaphoreSql.Release).Key(s._ns, s.key).Utf8(s.owner).Int64(s.expiresAtMs).Int64(s.token);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    public ValueTask<long> HeldUntilAsync(string key, string owner, long token, CancellationToken cancellationToken)
    {
        if (!Context.IsConnected)
        {
            return new ValueTask<long>(0L);
        }

        return Db.RunAsync("semaphore.info", PgWork.Read, (_ns, key, owner, token, now: NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSemaphoreSql.HeldUntil).Key(s._ns, s.key).Utf8(s.owner).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false) && (s.token == 0 || reader.GetInt64(1) == s.token) ? reader.GetInt64(0) : 0L;
            }
        }, cancellationToken);
    }

    public ValueTask<SemaphoreInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var db = Db;
        return db.RunAsync("semaphore.info", PgWork.Read, (_ns, key, now: NowMs, db.DataSource), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSemaphoreSql.Info).Key(s._ns, s.key).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                List<SemaphoreHolder>? holders = null;
                var permits = 0;
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    (holders ??= []).Add(ReadHolder(reader, s.key, 0, "semaphore.info", s.DataSource));
                    permits = reader.GetInt32(3);
                }

                return holders is null ? null : new SemaphoreInfo(s.key, permits, holders);
            }
        }, cancellationToken);
    }

    public async ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        await Db.RunAsync("semaphore.force_release", PgWork.Idempotent, (_ns, key), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSemaphoreSql.ForceRelease).Key(s._ns, s.key);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads owner, expiry, token, (limit,) holder columns from <paramref name="first"/> on.</summary>
    private static SemaphoreHolder ReadHolder(Npgsql.NpgsqlDataReader reader, string key, int first, string operation, string dataSource)
    {
        var owner = reader.ReadUtf8(first);
        return new SemaphoreHolder(owner, reader.ReadTime(first + 1, PgSemaphoreSql.Table, key, operation, dataSource), reader.GetInt64(first + 2))
        {
            Holder = HolderIdentity.Describe(reader.ReadNullableText(first + 4), reader.ReadNullableInt64(first + 5), reader.ReadNullableInt64(first + 6), owner),
        };
    }
}
