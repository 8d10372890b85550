namespace NativeAotPersistence.InMemory;

/// <summary>The store-level members of the admin statistics: the schema version SQLite would record, and no pages.</summary>
internal sealed class InMemoryStoreStats(InMemoryPersistence adapter) : IAdminSource
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        adapter.EnsureConnected();
        return new ValueTask<PersistenceStats>(stats with { SchemaVersion = Sqlite.SqliteSchema.CurrentVersion, DataSource = InMemoryPersistence.DataSource });
    }
}
