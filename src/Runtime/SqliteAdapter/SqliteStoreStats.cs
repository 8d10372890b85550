using System.Globalization;

namespace NativeAotPersistence.Sqlite;

/// <summary>The store-level members of the admin statistics: schema version, file, size and pages.</summary>
internal sealed class SqliteStoreStats(SqliteContext context) : IAdminSource
{
    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        context.Pool.ReadAsync("admin.stats", stats, &StatsBody, cancellationToken);

    private static PersistenceStats StatsBody(SqliteConnection c, PersistenceStats stats)
    {
        const string op = "admin.stats";
        return stats with
        {
            SchemaVersion = int.Parse(SqliteSchema.ReadMeta(c, "schema_version"u8, op) ?? "0", CultureInfo.InvariantCulture),
            DataSource = c.DataSource,
            SizeOnDisk = SizeOnDisk(c.DataSource),
            PageSize = long.Parse(c.QueryText("PRAGMA page_size", op) ?? "0", CultureInfo.InvariantCulture),
            PageCount = long.Parse(c.QueryText("PRAGMA page_count", op) ?? "0", CultureInfo.InvariantCulture),
            FreePages = long.Parse(c.QueryText("PRAGMA freelist_count", op) ?? "0", CultureInfo.InvariantCulture),
        };
    }

    private static long SizeOnDisk(string dataSource)
    {
        if (dataSource == ":memory:")
        {
            return 0;
        }

        static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        return Length(dataSource) + Length(dataSource + "-wal");
    }
}
