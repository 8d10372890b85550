namespace NativeAotPersistence.Sqlite;

/// <summary>Identifies one constant SQL text; each connection prepares it once and reuses the statement.</summary>
internal enum SqlId
{
    BeginImmediate,
    Commit,
    Rollback,
    SchemaObjects,
    MetaGet,

    // Count must stay last: it sizes each connection's statement cache.
    Count,
}
