namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// What the PostgreSQL providers get from their adapter, and nothing more: the connected database (or the adapter's
/// not-connected error), the options, key prefix and clock, the data source's name, and the adapter's lock provider
/// (for ExecuteOnce's lease). The adapter builds one and hands it to every provider; it connects and disconnects it.
/// </summary>
internal sealed class PgContext
{
    private readonly Func<ILockProvider> _locks;
    private readonly Func<ILeaseStore> _databaseLeases;
    private volatile PgDatabase? _database;

    /// <param name="options">The adapter's validated options.</param>
    /// <param name="dataSource">The server and database, as <c>host:port/database</c>.</param>
    /// <param name="locks">The adapter's lock provider (database or process scope), read when it is needed.</param>
    /// <param name="databaseLeases">The database's lease store whatever the adapter's scope (<see cref="AdapterCore.DatabaseLeases"/>).</param>
    /// <param name="storeIdentity">What tells this store from every other of the process (server, database, user, search path): the in-process gates' scope.</param>
    public PgContext(PersistenceAdapterOptions options, string dataSource, string storeIdentity, Func<ILockProvider> locks, Func<ILeaseStore> databaseLeases)
    {
        StoreIdentity = storeIdentity;
        _databaseLeases = databaseLeases;
        Options = options;
        DataSource = dataSource;
        _locks = locks;
    }

    public PersistenceAdapterOptions Options { get; }

    public string DataSource { get; }

    /// <summary>Gets what tells this store from every other of the process (two schemas of one database are two stores).</summary>
    public string StoreIdentity { get; }

    public string Prefix => Options.KeyPrefix;

    public TimeProvider Time => Options.TimeProvider;

    /// <summary>Gets the adapter's lock provider: the database's leases with <see cref="LockScope.Database"/>, the process's otherwise.</summary>
    public ILockProvider Locks => _locks();

    /// <summary>Gets the database's lease store whatever the adapter's scope (GetOrSet's factory leases).</summary>
    public ILeaseStore AnyScopeLeases => _databaseLeases();

    public bool IsConnected => _database is not null;

    /// <summary>Gets the connected database, or throws the lifecycle error every provider reports.</summary>
    public PgDatabase Database => _database ?? throw NotConnected();

    /// <summary>Makes <paramref name="database"/> the connected one (the adapter does, under its lifecycle lock).</summary>
    public void Attach(PgDatabase database) => _database = database;

    /// <summary>Disconnects the providers (the adapter does, under its lifecycle lock); returns the database they used.</summary>
    public PgDatabase? Detach()
    {
        var database = _database;
        _database = null;
        return database;
    }

    public InvalidOperationException NotConnected() => new(
        $"The PostgreSQL adapter for '{DataSource}' is not connected: call ConnectAsync (or use PostgresAdapter.OpenAsync) before using its providers, and not after DisconnectAsync or DisposeAsync.");
}
