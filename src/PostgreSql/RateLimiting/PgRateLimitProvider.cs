using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>
/// Rate-limit state on PostgreSQL: a row of <c>go_goscope_ratelimits</c> per key, updated in one transaction
/// (<c>INSERT … ON CONFLICT DO NOTHING</c>, then <c>SELECT … FOR UPDATE</c>, then <c>UPDATE</c>), so the updates of a
/// key on every machine run one at a time and share one budget. The clock is read once the row is locked; it is the
/// acquirer's (keep clocks in sync; periods far above the skew).
/// </summary>
internal sealed class PgRateLimitProvider : PgProvider, IRateLimitProvider, IRateLimitStore, IPrunable, IAdminSource
{
    private readonly KeyNamespace _ns;

    public PgRateLimitProvider(PgContext context)
        : base(context)
    {
        _ns = new KeyNamespace(Prefix, "ratelimit");
    }

    TimeProvider IRateLimitStore.Time => Time;

    public ValueTask<long> UpdateAsync(string key, RateLimitRule rule, long argument, CancellationToken cancellationToken) =>
        Db.RunAsync("ratelimit.acquire", PgWork.Transaction, (_ns, key, rule, argument, Time), static async (c, s, ct) =>
        {
            await using (var ensure = c.Command(PgRateLimitSql.Ensure).Key(s._ns, s.key))
            {
                await ensure.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            string? stored;
            long expiresAt;
            await using (var select = c.Command(PgRateLimitSql.Lock).Key(s._ns, s.key))
            {
                var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    (stored, expiresAt) = (reader.GetString(0), reader.GetInt64(1));
                }
            }

            // Read now, with the key locked: whatever the wait for it, the decision is made at this time.
            var now = Ttl.NowMs(s.Time);
            var result = s.rule.Apply(now < expiresAt ? stored : null, now, s.argument, out var state, out var newExpiry);
            await using (var write = c.Command(PgRateLimitSql.Update).Key(s._ns, s.key).Text(state).Int64(now).Int64(newExpiry))
            {
                await write.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return result;
        }, cancellationToken);

    public async ValueTask<bool> ResetAsync(string key, CancellationToken cancellationToken = default)
    {
        Keys.Validate(key);
        return await Db.RunAsync("ratelimit.reset", PgWork.Idempotent, (_ns, key), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgRateLimitSql.Reset).Key(s._ns, s.key);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Db.RunAsync("ratelimit.prune", PgWork.Idempotent, (_ns, now: NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgRateLimitSql.Sweep).Range(s._ns).Int64(s.now);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns, now: NowMs), static async (c, s, ct) =>
            s.stats with { RateLimits = await PgCounts.LiveAndExpiredAsync(c, PgRateLimitSql.AdminCounts, s._ns, s.now, ct).ConfigureAwait(false) }, cancellationToken);
}
