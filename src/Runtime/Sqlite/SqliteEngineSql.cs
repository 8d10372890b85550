namespace NativeAotPersistence.Sqlite;

/// <summary>The engine's own SQL on SQLite: transactions, group-commit savepoints and the schema inspection.</summary>
internal static class SqliteEngineSql
{
    public static readonly SqlStatement BeginImmediate = new("BEGIN IMMEDIATE"u8);

    public static readonly SqlStatement Commit = new("COMMIT"u8);

    // Group commit: one savepoint per queued write, so a failing write rolls back alone.
    public static readonly SqlStatement SavepointWrite = new("SAVEPOINT nap_write"u8);

    public static readonly SqlStatement ReleaseWrite = new("RELEASE nap_write"u8);

    public static readonly SqlStatement RollbackToWrite = new("ROLLBACK TO nap_write"u8);

    // A multi-statement write inside a group-commit transaction nests as a savepoint.
    public static readonly SqlStatement SavepointTransaction = new("SAVEPOINT nap_tx"u8);

    public static readonly SqlStatement ReleaseTransaction = new("RELEASE nap_tx"u8);

    public static readonly SqlStatement SchemaObjects = new("SELECT name FROM sqlite_master WHERE name >= 'go_goscope_' AND name < 'go_goscope`'"u8);

    public static readonly SqlStatement MetaGet = new("SELECT value FROM go_goscope_meta WHERE key = ?1"u8);

    // One counter for the whole database (in the meta table), so pruning rows never reuses a token: the fencing tokens
    // of every lease-holding kind (locks, semaphore permits) come from it.
    public static readonly SqlStatement FencingNext = new("""
        UPDATE go_goscope_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'lock_fencing_counter'
        RETURNING CAST(value AS INTEGER)
        """u8);
}
