namespace NativeAotPersistence.PostgreSql;

/// <summary>The store-level members of the admin statistics: schema version, server, size of the tables.</summary>
internal sealed class PgStoreStats(PgContext context, PgSchema schema) : IAdminSource
{
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
}
