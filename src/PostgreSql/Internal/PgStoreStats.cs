using System.Diagnostics;

namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The store-level part of the admin API: the statistics' schema version, server and size of the tables, and
/// compaction (a plain <c>VACUUM</c> of the tables).
/// </summary>
internal sealed class PgStoreStats(PgContext context, PgSchema schema) : IAdminSource, ICompactable
{
    private const string CompactOp = "admin.compact";

    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        var db = context.Database;
        return db.RunAsync("admin.stats", PgWork.Read, (stats, db.DataSource, schema.AdminSizeSql), static async (c, s, ct) =>
        {
            int version;
            await using (var command = c.Command(PgSql.SchemaVersion))
            {
                version = int.Parse((string?)await command.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            }

            await using (var command = c.Command(s.AdminSizeSql))
            {
                var size = (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
                return s.stats with { SchemaVersion = version, DataSource = s.DataSource, SizeOnDisk = size };
            }
        }, cancellationToken);
    }

    public async ValueTask<CompactResult> CompactAsync(CancellationToken cancellationToken)
    {
        var db = context.Database;
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();

        // Sizes before and after, each a read of its own; VACUUM alone on its connection, outside any transaction (it
        // refuses to run in one). Repeating it changes nothing, so a transient failure is retried.
        var before = await SizeAsync(db, cancellationToken).ConfigureAwait(false);
        await db.RunAsync(CompactOp, PgWork.Idempotent, schema.VacuumSql, static async (c, sql, ct) =>
        {
            await using var command = c.Command(sql);

            // It takes as long as the tables need; the caller's token cancels it (Npgsql sends the server a cancel).
            command.CommandTimeout = 0;
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        var after = await SizeAsync(db, cancellationToken).ConfigureAwait(false);
        return new CompactResult { SizeBefore = before, SizeAfter = after, Elapsed = Stopwatch.GetElapsedTime(started), IsComplete = true };
    }

    private ValueTask<long> SizeAsync(PgDatabase db, CancellationToken cancellationToken) =>
        db.RunAsync(CompactOp, PgWork.Read, schema.AdminSizeSql, static async (c, sql, ct) =>
        {
            await using var command = c.Command(sql);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken);
}
