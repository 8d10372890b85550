using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgIdempotencyProvider : IPrunable, IAdminSource, IAdminListing<IdempotencyKeySummary>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns, now: NowMs), static async (c, s, ct) =>
            s.stats with { Idempotency = await PgCounts.LiveAndExpiredAsync(c, PgIdempotencySql.AdminCounts, s._ns, s.now, ct).ConfigureAwait(false) }, cancellationToken);

    public ValueTask<IReadOnlyList<IdempotencyKeySummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        var db = Db;
        return db.RunAsync("admin.idempotency", PgWork.Read, (_ns, pattern, now: NowMs, db.DataSource), static async (c, s, ct) =>
        {
            const string op = "admin.idempotency";
            var list = new List<IdempotencyKeySummary>();
            await using var command = c.Command(PgIdempotencySql.AdminList).Range(s._ns, Glob.LiteralPrefix(s.pattern)).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._ns.Utf8.Length);
                    if (!Glob.IsMatch(s.pattern, key))
                    {
                        continue;
                    }

                    try
                    {
                        list.Add(new IdempotencyKeySummary(
                            key,
                            reader.ReadNullableTime(1, "go_goscope_idempotency", key, op, s.DataSource),
                            reader.ReadNullableTime(2, "go_goscope_idempotency", key, op, s.DataSource),
                            reader.GetInt32(3)));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_idempotency", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<IdempotencyKeySummary>)list;
        }, cancellationToken);
    }
}
