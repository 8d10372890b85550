using NativeAotPersistence;

namespace AotConsole;

/// <summary>
/// Where the tool keeps its state: a SQLite file (the default, one machine) or, with <c>--postgres</c>, a PostgreSQL
/// database that every machine running the tool shares.
/// </summary>
/// <param name="File">The SQLite file, when <see cref="Postgres"/> is null.</param>
/// <param name="Postgres">The PostgreSQL connection string, or null for the SQLite file.</param>
internal sealed record StoreLocation(string File, string? Postgres)
{
    public const string DefaultFile = "aotconsole.db";

    /// <summary>The location the options name, or a usage problem (both given, an empty connection string, no PostgreSQL in this build).</summary>
    public static (StoreLocation? Location, string? Problem) From(string? db, string? postgres)
    {
        if (postgres is not null)
        {
            if (db is not null)
            {
                return (null, "--db and --postgres name two different stores: give one of them");
            }

            if (string.IsNullOrWhiteSpace(postgres))
            {
                return (null, "--postgres needs a connection string, for example \"Host=db;Username=app;Database=app\"");
            }

            return Store.PostgresSupported
                ? (new StoreLocation(DefaultFile, postgres), null)
                : (null, "this build of aotconsole has no PostgreSQL support (published with -p:AotConsolePostgres=false, the SQLite-only flavor); use the default build for --postgres, or --db FILE");
        }

        return (new StoreLocation(db ?? DefaultFile, null), null);
    }
}

/// <summary>
/// The open store, whichever backend holds it. The job, <c>inspect</c> and <c>prune</c> see only the library's
/// interfaces (<see cref="IPersistenceAdapter"/>, <see cref="IPersistenceAdmin"/>): the backend is chosen here, once.
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    private Store(IPersistenceAdapter adapter, IPersistenceAdmin admin, string dataSource, StoreLocation location)
    {
        Adapter = adapter;
        Admin = admin;
        DataSource = dataSource;
        Location = location;
    }

    /// <summary>Whether this build links the PostgreSQL backend (MSBuild property <c>AotConsolePostgres</c>, on by default).</summary>
    public static bool PostgresSupported =>
#if POSTGRES
        true;
#else
        false;
#endif

    public IPersistenceAdapter Adapter { get; }

    public IPersistenceAdmin Admin { get; }

    /// <summary>The file path, or <c>host:port/database</c> for PostgreSQL (never a password).</summary>
    public string DataSource { get; }

    public StoreLocation Location { get; }

    /// <summary>
    /// Opens the store. <paramref name="existing"/> is for the commands that only read or tidy: a SQLite file must exist
    /// (an empty 0-byte file gets the empty schema) and a PostgreSQL database must already hold the tables — they never
    /// add tables to someone else's database.
    /// </summary>
    /// <param name="readOnly">Open a SQLite file read-only (<c>inspect</c>): it is not changed in any way, and may sit in a
    /// directory this user cannot write while a writer has it open. A 0-byte file still gets the empty schema.</param>
    /// <returns>The open store, or null when the file is missing (the reason is printed).</returns>
    public static async Task<Store?> OpenAsync(StoreLocation location, LockScope scope, string prefix, bool existing, CancellationToken cancellationToken, bool readOnly = false)
    {
#if POSTGRES
        if (location.Postgres is { } connectionString)
        {
            var pg = await PostgresAdapter.OpenAsync(connectionString, Cli.StoreOptions(scope, prefix, createTables: !existing), cancellationToken);
            return new Store(pg, pg.Admin, pg.DataSource, location);
        }
#endif
        if (existing && !Cli.RequireExisting(location.File))
        {
            return null;
        }

        var createTables = !existing || Cli.IsEmptyFile(location.File);
        var sqlite = await SqliteAdapter.OpenAsync(
            location.File, Cli.StoreOptions(scope, prefix, createTables), new SqliteOpenOptions { ReadOnly = readOnly && !createTables }, cancellationToken);
        return new Store(sqlite, sqlite.Admin, sqlite.DataSource, location);
    }

    /// <summary>
    /// The simulated upstream's own storage: next to a SQLite file (<c>*.upstream.db</c>); in the same PostgreSQL database
    /// (its own <c>aotconsole_upstream_*</c> tables), so every machine delivers to one upstream, as to a real remote API.
    /// </summary>
    public Task<IUpstream> OpenUpstreamAsync(CancellationToken cancellationToken)
    {
#if POSTGRES
        if (Location.Postgres is { } connectionString)
        {
            return PostgresUpstream.OpenAsync(connectionString, DataSource, cancellationToken);
        }
#endif
        return Task.FromResult<IUpstream>(SqliteUpstream.Open(SqliteUpstream.PathFor(Location.File)));
    }

    /// <summary>Where the simulated upstream keeps its data, for the job's first line.</summary>
    public string UpstreamDescription => Location.Postgres is null
        ? Path.GetFullPath(SqliteUpstream.PathFor(Location.File))
        : "its aotconsole_upstream_* tables in the same database";

    public ValueTask DisposeAsync() => Adapter.DisposeAsync();
}
