using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>
/// <see cref="LockScope.Database"/> locks on PostgreSQL: a row of <c>go_goscope_locks</c> per held key with its owner
/// and expiry, taken by one <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c> statement, so two machines never both hold a
/// key; fencing tokens come from the database's sequence <c>go_goscope_lock_fencing</c>.
/// </summary>
/// <remarks>
/// A holder that loses its connection or dies keeps the lock until its TTL runs out (nothing is tied to a session, so
/// a connection reset neither frees a lock early nor hands it to someone else). Expiry is judged by the acquirer's
/// clock: a machine whose clock runs ahead by <em>d</em> can take a lock <em>d</em> before its holder's TTL ends, so keep
/// clocks in sync (NTP keeps them within milliseconds) and use TTLs far above the skew, with fencing tokens where
/// correctness depends on it.
/// </remarks>
internal sealed class PgLockProvider : PgProvider, ILockProvider, ILockReleaser
{
    private readonly KeyNamespace _ns;

    public PgLockProvider(PostgresAdapter adapter)
        : base(adapter)
    {
        _ns = new KeyNamespace(Prefix, "lock");
        DefaultTtl = adapter.Options.DefaultLockTtl;
    }

    public TimeSpan DefaultTtl { get; }

    public async ValueTask<ILockHandle?> AcquireAsync(string key, TimeSpan ttl, string? owner = null, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        var now = NowMs;
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        owner = LockOwners.Validate(owner);

        // Repeating an acquire is harmless (the same owner re-acquires and keeps its token), but one transaction keeps
        // the rule simple: retried only when nothing committed. It also holds a freshly inserted row while its token is
        // drawn (see PgSql.LockAcquire).
        var token = await Db.RunAsync("lock.acquire", PgWork.Transaction, (_ns, key, owner, now, expiresAt), static async (c, s, ct) =>
        {
            long fencing;
            await using (var command = c.Command(PgSql.LockAcquire).Key(s._ns, s.key).Utf8(s.owner).Int64(s.expiresAt).Int64(s.now))
            {
                if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long acquired)
                {
                    return 0L;
                }

                fencing = acquired;
            }

            if (fencing == 0)
            {
                await using var draw = c.Command(PgSql.LockDrawToken).Key(s._ns, s.key);
                fencing = (long)(await draw.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }

            return fencing;
        }, cancellationToken).ConfigureAwait(false);

        return token == 0 ? null : new LockHandle(this, this, Time, key, owner, token, expiresAt);
    }

    public ValueTask<bool> ExtendAsync(string key, TimeSpan ttl, string owner, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        Keys.Validate(owner);
        var now = NowMs;
        var expiresAt = Ttl.LockExpiresAt(ttl, now);
        return Db.RunAsync("lock.extend", PgWork.Transaction, (_ns, key, owner, now, expiresAt), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSql.LockExtend).Key(s._ns, s.key).Utf8(s.owner).Int64(s.now).Int64(s.expiresAt);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    public async ValueTask ForceReleaseAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        await Db.RunAsync("lock.force_release", PgWork.Idempotent, (_ns, key), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSql.LockForceRelease).Key(s._ns, s.key);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LockInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return Db.RunAsync("lock.info", PgWork.Read, (_ns, key, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSql.LockInfo).Key(s._ns, s.key).Int64(s.NowMs);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(ct).ConfigureAwait(false)
                    ? new LockInfo(s.key, reader.ReadUtf8(0), Ttl.FromUnixMs(reader.GetInt64(1)), reader.GetInt64(2))
                    : null;
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

        return Db.RunAsync("lock.release", PgWork.Transaction, (_ns, key, owner), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSql.LockRelease).Key(s._ns, s.key).Utf8(s.owner);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    internal ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Db.RunAsync("lock.prune", PgWork.Idempotent, (_ns, NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSql.LockSweep).Range(s._ns).Int64(s.NowMs);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
}
