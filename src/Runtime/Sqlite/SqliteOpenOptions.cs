namespace NativeAotPersistence;

/// <summary>How <see cref="SqliteAdapter.OpenAsync(string, PersistenceAdapterOptions?, SqliteOpenOptions, CancellationToken)"/> opens a file it owns.</summary>
public sealed class SqliteOpenOptions
{
    /// <summary>Gets the durability of writes. The default is <see cref="SqliteDurability.Normal"/>.</summary>
    public SqliteDurability Durability { get; init; } = SqliteDurability.Normal;

    /// <summary>
    /// Gets whether the file is opened with <c>locking_mode=EXCLUSIVE</c> on one connection
    /// (<see cref="ReaderConnections"/> is ignored). File operations are about 3.5 times faster, but no other process
    /// or connection may use the file while the adapter is connected.
    /// </summary>
    public bool Exclusive { get; init; }

    /// <summary>
    /// Gets how many read-only connections serve reads beside the one writer connection, so reads never wait for
    /// writes. The default is 2; 0 reads through the writer connection. Ignored for <c>:memory:</c>.
    /// </summary>
    public int ReaderConnections { get; init; } = 2;
}
