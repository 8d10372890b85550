using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgLockProvider : IPrunable, IAdminSource, IAdminListing<LockInfo>
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns, now: NowMs), static async (c, s, ct) =>
            s.stats with { Locks = await PgCounts.LiveAndExpiredAsync(c, PgLockSql.AdminCounts, s._ns, s.now, ct).ConfigureAwait(false) }, cancellationToken);

    public ValueTask<IReadOnlyList<LockInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        var db = Db;
        return db.RunAsync("admin.locks", PgWork.Read, (_ns, now: NowMs, db.DataSource), static async (c, s, ct) =>
        {
            const string op = "admin.locks";
            var list = new List<LockInfo>();
            await using var command = c.Command(PgLockSql.AdminList).Range(s._ns).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var key = reader.ReadKey(0, s._ns.Utf8.Length);
                    try
                    {
                        list.Add(ReadInfo(reader, key, 1, op, s.DataSource));
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, "go_goscope_locks", key))
                    {
                    }
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<LockInfo>)list;
        }, cancellationToken);
    }
}
