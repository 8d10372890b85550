using Npgsql;
using NativeAotPersistence.PostgreSql;

namespace NativeAotPersistence;

/// <summary>
/// The PostgreSQL backend: the five providers over one PostgreSQL database, shared by every process and machine that
/// reaches the server. Swap it for <see cref="SqliteAdapter"/> when a fleet outgrows one machine; every interface,
/// helper and guarantee stays.
/// </summary>
/// <remarks>
/// <para>
/// Two ways to use it. <see cref="OpenAsync(string, PersistenceAdapterOptions?, CancellationToken)"/> builds and owns
/// an Npgsql data source (its connection pool) from a connection string. <see cref="PostgresAdapter(NpgsqlDataSource, PersistenceAdapterOptions?)"/>
/// borrows a data source the application built and owns (it is never disposed here).
/// </para>
/// <para>
/// Keys are stored as their UTF-8 bytes (<c>bytea</c>), payloads as UTF-8 JSON <c>text</c>, times as Unix milliseconds
/// decided by <see cref="PersistenceAdapterOptions.TimeProvider"/> (machines sharing a server must keep their clocks in
/// sync: a clock that runs ahead by <em>d</em> sees others' locks and entries expire <em>d</em> early). Transient
/// failures — a dropped connection, a failover, a serialization failure — are retried within
/// <see cref="PersistenceAdapterOptions.BusyTimeout"/> where that cannot apply a write twice, and otherwise surface as a
/// <see cref="PersistenceException"/> with <see cref="PersistenceException.SqlState"/>. No operation completes before
/// its write committed.
/// </para>
/// <para>Every member is thread-safe.</para>
/// </remarks>
public sealed class PostgresAdapter : IPersistenceAdapter, IAdapterLifecycle
{
    private readonly NpgsqlDataSource? _borrowed;
    private readonly string? _connectionString;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly AdapterCore _core;
    private readonly PgContext _context;

    /// <summary>
    /// Creates an adapter over a data source the caller built and owns; it is never disposed here. Call
    /// <see cref="ConnectAsync"/> before using the providers.
    /// </summary>
    /// <param name="dataSource">
    /// The data source, for example from <c>NpgsqlSlimDataSourceBuilder</c> (NativeAOT clean) or <c>NpgsqlDataSource.Create</c>.
    /// </param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    public PostgresAdapter(NpgsqlDataSource dataSource, PersistenceAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _borrowed = dataSource;
        Options = AdapterOptions.Validate(options ?? new PersistenceAdapterOptions());
        DataSource = Describe(dataSource.ConnectionString);
        _context = new PgContext(Options, DataSource, StoreIdentityOf(dataSource.ConnectionString), () => Locks, () => _core!.DatabaseLeases);
        _core = CreateCore(_context);
    }

    private PostgresAdapter(string connectionString, PersistenceAdapterOptions options)
    {
        _connectionString = connectionString;
        Options = options;
        DataSource = Describe(connectionString);
        _context = new PgContext(Options, DataSource, StoreIdentityOf(connectionString), () => Locks, () => _core!.DatabaseLeases);
        _core = CreateCore(_context);
    }

    /// <summary>Gets the options this adapter was created with.</summary>
    public PersistenceAdapterOptions Options { get; }

    /// <summary>Gets the server and database, as <c>host:port/database</c> (never a password).</summary>
    public string DataSource { get; }

    /// <inheritdoc />
    public bool IsConnected => _context.IsConnected;

    /// <inheritdoc />
    public ICacheProvider Cache => _core.Cache;

    /// <inheritdoc />
    public ILockProvider Locks => _core.Locks;

    /// <inheritdoc />
    public ICircuitBreakerStateProvider CircuitBreakers => _core.CircuitBreakers;

    /// <inheritdoc />
    public ICheckpointProvider Checkpoints => _core.Checkpoints;

    /// <inheritdoc />
    public IIdempotencyProvider Idempotency => _core.Idempotency;

    /// <inheritdoc />
    public ISemaphoreProvider Semaphores => _core.Semaphores;

    /// <inheritdoc />
    public IRateLimitProvider RateLimits => _core.RateLimits;

    /// <inheritdoc />
    public PersistenceProviders Providers => _core.Providers;

    /// <inheritdoc />
    public IPersistenceAdmin Admin => _core.Admin;

    /// <summary>
    /// Creates an adapter that builds and owns a connection pool for <paramref name="connectionString"/> when
    /// <see cref="ConnectAsync"/> is called — for hosts that build their services first and connect at start-up.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <returns>An adapter that is not connected yet.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public static PostgresAdapter Create(string connectionString, PersistenceAdapterOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new PostgresAdapter(connectionString, AdapterOptions.Validate(options ?? new PersistenceAdapterOptions()));
    }

    /// <summary>Connects to the server at <paramref name="connectionString"/>, creating the tables if needed, and owns the connection pool.</summary>
    /// <param name="connectionString">An Npgsql connection string, for example <c>Host=db;Username=app;Password=…;Database=app</c>.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>A connected adapter; dispose it to close its connections.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    /// <exception cref="PersistenceException">The server cannot be reached, refuses the login, or has a newer schema.</exception>
    public static async ValueTask<PostgresAdapter> OpenAsync(string connectionString, PersistenceAdapterOptions? options = null, CancellationToken cancellationToken = default)
    {
        var adapter = Create(connectionString, options);
        try
        {
            await adapter.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await adapter.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return adapter;
    }

    /// <inheritdoc />
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_context.IsConnected)
            {
                return;
            }

            var source = _borrowed ?? BuildDataSource(_connectionString!);
            try
            {
                var database = new PgDatabase(source, DataSource, Options.BusyTimeout);
                var change = await database.RunAsync("connect", PgWork.Read, (Options.CreateTables, DataSource), static (c, s, ct) =>
                    s_schema.EnsureAsync(c, s.CreateTables, s.DataSource, ct), cancellationToken).ConfigureAwait(false);
                if (BackendEvents.IsEnabled)
                {
                    BackendEvents.Connected(new PersistenceConnected("postgresql", DataSource, PgSchema.CurrentVersion, change));
                }

                _context.Attach(database);
            }
            catch
            {
                if (_borrowed is null)
                {
                    await source.DisposeAsync().ConfigureAwait(false);
                }

                throw;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisconnectAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var database = _context.Detach();
            if (database is null)
            {
                return;
            }

            // Process-scope locks live and die with the adapter's connection, as on SQLite.
            _core.OnDisconnected();
            if (_borrowed is null)
            {
                await database.Source.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Disconnects; a borrowed data source stays open and usable by its owner.</summary>
    /// <returns>A task that completes when the connections this adapter owns are closed.</returns>
    public ValueTask DisposeAsync() => DisconnectAsync(CancellationToken.None);

    /// <inheritdoc />
    public ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default) => _core.PruneAsync(cancellationToken);

    void IAdapterLifecycle.EnsureConnected() => _ = _context.Database;

    /// <summary>
    /// The data source an owning adapter builds: the slim builder (no reflection), statements auto-prepared, and no reset
    /// of a connection returned to the pool.
    /// </summary>
    private static NpgsqlDataSource BuildDataSource(string connectionString)
    {
        NpgsqlSlimDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }

        var settings = builder.ConnectionStringBuilder;

        // The same few statements run all the time: prepared once per physical connection, they skip parsing and planning.
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 64;
        }

        // No operation leaves state in its session (no SET but SET LOCAL, no session advisory lock, LISTEN, cursor or
        // temporary table; an open transaction is still rolled back when its connection returns), and nothing else gets
        // this pool's connections, so there is nothing to reset. Npgsql would otherwise run RESET ALL, DISCARD TEMP and
        // five more statements before the next operation's first: a cache get on a local server took twice as long
        // (benchmark `--postgres`).
        settings.NoResetOnClose = true;
        settings.ApplicationName ??= "NativeAotPersistence";
        return builder.Build();
    }

    /// <summary>What tells this store from every other of the process: the server, the database and the schema search path.</summary>
    private static string StoreIdentityOf(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{settings.Host}:{settings.Port}/{settings.Database}/{settings.Username}/{settings.SearchPath}";
    }

    private static string Describe(string connectionString)
    {
        try
        {
            var settings = new NpgsqlConnectionStringBuilder(connectionString);
            var host = string.IsNullOrEmpty(settings.Host) ? "localhost" : settings.Host;
            return $"{host}:{settings.Port}/{settings.Database ?? settings.Username ?? "postgres"}";
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }
    }

    /// <summary>
    /// The kinds' pieces of the schema, registered here beside the providers <see cref="CreateCore"/> builds: one per
    /// kind, in the order they are created in (the engine adds its meta table and fencing sequence first and the schema
    /// version last).
    /// </summary>
    private static readonly PgSchema s_schema = new(
        PgCacheSql.Schema, PgCircuitBreakerSql.Schema, PgCheckpointSql.Schema, PgIdempotencySql.Schema, PgLockSql.Schema,
        PgSemaphoreSql.Schema, PgRateLimitSql.Schema);

    /// <summary>The providers, each given the adapter's one context (not the adapter), over the schema above.</summary>
    private AdapterCore CreateCore(PgContext context) => new(Options, DataSource, this, new BackendProviders
    {
        Cache = new PgCacheProvider(context),
        DatabaseLocks = () => new PgLockProvider(context),
        CircuitBreakers = new PgCircuitBreakerStateProvider(context),
        Checkpoints = new PgCheckpointProvider(context),
        Idempotency = new PgIdempotencyProvider(context),
        Semaphores = new PgSemaphoreProvider(context),
        RateLimits = new PgRateLimitProvider(context),
        Store = new PgStoreStats(context, s_schema),
    });
}
