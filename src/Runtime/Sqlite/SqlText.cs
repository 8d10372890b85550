namespace NativeAotPersistence.Sqlite;

/// <summary>
/// Every SQL text the SQLite backend runs. All are constants: user strings are only ever bound as parameters.
/// </summary>
internal static class SqlText
{
    public static ReadOnlySpan<byte> Get(SqlId id) => id switch
    {
        SqlId.BeginImmediate => "BEGIN IMMEDIATE"u8,
        SqlId.Commit => "COMMIT"u8,
        SqlId.Rollback => "ROLLBACK"u8,
        SqlId.SchemaObjects => "SELECT name FROM sqlite_master WHERE name >= 'go_goscope_' AND name < 'go_goscope`'"u8,
        SqlId.MetaGet => "SELECT value FROM go_goscope_meta WHERE key = ?1"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
    };
}
