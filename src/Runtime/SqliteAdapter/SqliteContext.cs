namespace NativeAotPersistence.Sqlite;

/// <summary>
/// What a SQLite provider gets from its adapter, and nothing more: the engine (connections), the options, the store's
/// identity, and the lease store of the adapter's <see cref="LockScope.Database"/> locks for helpers that need another
/// kind's machinery (<see cref="ExecuteOnce"/>'s lease). Providers never see the adapter itself.
/// </summary>
internal sealed class SqliteContext(SqliteAdapter adapter)
{
    /// <summary>Gets the connections, or throws the lifecycle error every provider reports before connect or after disconnect.</summary>
    public SqliteConnectionPool Pool => adapter.Pool;

    /// <summary>Gets whether the adapter is connected.</summary>
    public bool IsConnected => adapter.IsConnected;

    /// <summary>Gets the adapter's options.</summary>
    public PersistenceAdapterOptions Options => adapter.Options;

    /// <summary>Gets the database file's full path, or <c>:memory:</c>.</summary>
    public string DataSource => adapter.DataSource;

    /// <summary>Gets what tells this database from every other of the process (see <see cref="SqliteAdapter"/>).</summary>
    public string StoreIdentity => adapter.StoreIdentity;

    /// <summary>Gets the adapter's <see cref="LockScope.Database"/> lease store, or <see langword="null"/> in <see cref="LockScope.Process"/>.</summary>
    public ILeaseStore? DatabaseLeases => adapter.Options.LockScope == LockScope.Database ? adapter.Locks as ILeaseStore : null;

    /// <summary>Gets the backend's <see cref="LockScope.Database"/> lease store whatever the adapter's scope (<see cref="AdapterCore.DatabaseLeases"/>).</summary>
    public ILeaseStore AnyScopeLeases => adapter.Core.DatabaseLeases;
}
