namespace NativeAotPersistence.InMemory;

/// <summary>The store-level members of the admin statistics: the schema version SQLite would record, and no pages.</summary>
internal sealed class InMemoryStoreStats(InMemoryContext context) : IAdminSource
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        context.EnsureConnected();
        return new ValueTask<PersistenceStats>(stats with { SchemaVersion = Sqlite.SqliteSchema.CurrentVersion, DataSource = InMemoryPersistence.DataSource });
    }
}
