using Npgsql;

namespace NativeAotPersistence.PostgreSql;

/// <summary>The counting queries of the admin statistics, for any kind's namespace.</summary>
internal static class PgCounts
{
    public static async ValueTask<RowCounts> LiveAndExpiredAsync(NpgsqlConnection c, string sql, KeyNamespace ns, long nowMs, CancellationToken ct)
    {
        var (total, expired) = await PairAsync(c, sql, ns, nowMs, ct).ConfigureAwait(false);
        return new RowCounts(total - expired, expired);
    }

    public static async ValueTask<(int First, int Second)> PairAsync(NpgsqlConnection c, string sql, KeyNamespace ns, long? nowMs, CancellationToken ct)
    {
        await using var command = c.Command(sql).Range(ns);
        if (nowMs is { } now)
        {
            command.Int64(now);
        }

        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
        }
    }

    public static async ValueTask<int> RowsAsync(NpgsqlConnection c, string sql, KeyNamespace ns, CancellationToken ct)
    {
        var count = 0;
        await using var command = c.Command(sql).Range(ns);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                count++;
            }
        }

        return count;
    }
}
