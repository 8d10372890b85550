namespace NativeAotPersistence.InMemory;

/// <summary>
/// The store-level part of the admin API: the schema version SQLite would record, no pages, and nothing to compact
/// (a removed row is gone from its table at once).
/// </summary>
internal sealed class InMemoryStoreStats(InMemoryContext context) : IAdminSource, ICompactable
{
    public ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken)
    {
        context.EnsureConnected();
        return new ValueTask<PersistenceStats>(stats with { SchemaVersion = Sqlite.SqliteSchema.CurrentVersion, DataSource = InMemoryPersistence.DataSource });
    }

    public ValueTask<CompactResult> CompactAsync(CancellationToken cancellationToken)
    {
        context.EnsureConnected();
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<CompactResult>(cancellationToken)
            : new ValueTask<CompactResult>(new CompactResult { IsComplete = true });
    }
}
