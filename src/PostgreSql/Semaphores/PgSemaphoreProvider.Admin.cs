using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

internal sealed partial class PgSemaphoreProvider : IPrunable, IAdminSource, IAdminListing<SemaphoreInfo>
{
    public ValueTask<int> PruneAsync(CancellationToken cancellationToken) =>
        Db.RunAsync("semaphore.prune", PgWork.Idempotent, (_ns, now: NowMs), static async (c, s, ct) =>
        {
            await using var command = c.Command(PgSemaphoreSql.Sweep).Range(s._ns).Int64(s.now);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        Db.RunAsync("admin.stats", PgWork.Read, (stats, _ns, now: NowMs), static async (c, s, ct) =>
            s.stats with { Semaphores = await PgCounts.LiveAndExpiredAsync(c, PgSemaphoreSql.AdminCounts, s._ns, s.now, ct).ConfigureAwait(false) }, cancellationToken);

    public ValueTask<IReadOnlyList<SemaphoreInfo>> AdminListAsync(string? pattern, CancellationToken cancellationToken)
    {
        var db = Db;
        return db.RunAsync("admin.semaphores", PgWork.Read, (_ns, now: NowMs, db.DataSource), static async (c, s, ct) =>
        {
            const string op = "admin.semaphores";
            var list = new List<SemaphoreInfo>();
            await using var command = c.Command(PgSemaphoreSql.AdminList).Range(s._ns).Int64(s.now);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                string? key = null;
                var permits = 0;
                List<SemaphoreHolder>? holders = null;
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var rowKey = reader.ReadKey(0, s._ns.Utf8.Length);
                    try
                    {
                        var holder = ReadHolder(reader, rowKey, 1, op, s.DataSource);
                        if (!string.Equals(rowKey, key, StringComparison.Ordinal))
                        {
                            if (key is not null)
                            {
                                list.Add(new SemaphoreInfo(key, permits, holders!));
                            }

                            (key, holders) = (rowKey, []);
                        }

                        permits = reader.GetInt32(4);
                        holders!.Add(holder);
                    }
                    catch (PersistenceException e) when (RowSkips.Skip(e, op, PgSemaphoreSql.Table, rowKey))
                    {
                    }
                }

                if (key is not null)
                {
                    list.Add(new SemaphoreInfo(key, permits, holders!));
                }
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (IReadOnlyList<SemaphoreInfo>)list;
        }, cancellationToken);
    }
}
