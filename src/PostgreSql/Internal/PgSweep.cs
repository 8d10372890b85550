using Npgsql;

namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// Reclaiming expired rows of one namespace, for any kind with a TTL: a sweep statement takes <c>$1 lo, $2 hi, $3 now,
/// $4 limit</c> and deletes at most that many expired rows.
/// </summary>
internal static class PgSweep
{
    /// <summary>Deletes up to <paramref name="limit"/> expired rows of <paramref name="ns"/>; returns how many.</summary>
    public static async ValueTask<int> SweepAsync(NpgsqlConnection c, string sql, KeyNamespace ns, long nowMs, int limit, CancellationToken cancellationToken)
    {
        await using var command = c.Command(sql).Range(ns).Int64(nowMs).Int64(limit);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Best-effort reclaim after a committed write, on the same connection: its failure must not fail (or, by a retry,
    /// repeat) the write it follows.
    /// </summary>
    public static async ValueTask TrySweepAsync(NpgsqlConnection c, string sql, KeyNamespace ns, long nowMs, SweepSchedule schedule)
    {
        try
        {
            schedule.Swept(await SweepAsync(c, sql, ns, nowMs, SweepSchedule.Batch, CancellationToken.None).ConfigureAwait(false));
        }
        catch (NpgsqlException)
        {
            schedule.Swept(-1);
        }
    }
}
