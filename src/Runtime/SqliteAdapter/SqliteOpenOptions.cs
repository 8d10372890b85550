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
    /// writes. The default is <see cref="DefaultReaderConnections"/>: the processor count, at least 2 and at most 16;
    /// 0 reads through the writer connection. Ignored for <c>:memory:</c>.
    /// </summary>
    /// <remarks>
    /// Concurrent reads scale with the connections that serve them: on one WAL file, 16 threads reading on a 16-core
    /// machine went 4.8 times as fast as one with a reader per thread, where 2 readers cap them near 2 (the performance
    /// page of the documentation has the figures and the command that prints them). Each reader is an open file and
    /// SQLite's per-connection memory (its lookaside and, as it is used, its page cache of up to 2 MB), opened with the
    /// adapter.
    /// </remarks>
    public int ReaderConnections { get; init; } = DefaultReaderConnections;

    /// <summary>Gets the default of <see cref="ReaderConnections"/> on this machine: <see cref="Environment.ProcessorCount"/>, at least 2 and at most 16.</summary>
    public static int DefaultReaderConnections { get; } = Math.Clamp(Environment.ProcessorCount, 2, 16);

    /// <summary>
    /// Gets whether the file is opened read-only (<c>SQLITE_OPEN_READONLY</c>), for tools that inspect a store they must
    /// not change: every read works; every write fails with <see cref="PersistenceErrorKind.ReadOnly"/>; the file is never
    /// created, and its schema never created or migrated (a file that needs either is refused with
    /// <see cref="PersistenceErrorKind.SchemaMissing"/>). A file in WAL mode (as this library leaves it) in a directory this
    /// process cannot write can be read while its <c>-wal</c> and <c>-shm</c> files exist and are readable (a writer has it
    /// open); once the last writer closed it (and removed them) SQLite needs to create them, so the open fails with
    /// <see cref="PersistenceErrorKind.ReadOnly"/> saying so: read a copy then. Cannot be combined with
    /// <see cref="Exclusive"/> or <c>:memory:</c>.
    /// </summary>
    public bool ReadOnly { get; init; }
}
