namespace NativeAotPersistence;

/// <summary>One cache tag and the entries that have it, as <see cref="IPersistenceAdmin.ListCacheTagsAsync"/> lists it.</summary>
/// <param name="Tag">The tag (<see cref="CacheEntryOptions.Tags"/>).</param>
/// <param name="Entries">The entries of this adapter's key prefix with the tag: live, and expired but not yet swept.</param>
public sealed record CacheTagSummary(string Tag, RowCounts Entries);
