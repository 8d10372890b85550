using NativeAotPersistence.Sqlite;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

/// <summary>
/// The SQLite backend: the five providers over one SQLite database file (or <c>:memory:</c>).
/// </summary>
/// <remarks>
/// <para>
/// Two ways to use it. <see cref="SqliteAdapter(sqlite3, PersistenceAdapterOptions?)"/> borrows a handle the caller
/// opened and owns (it is never closed here; calls are serialized on it). <see cref="OpenAsync(string, PersistenceAdapterOptions?, CancellationToken)"/>
/// opens and owns the file: WAL mode, one writer connection and a pool of reader connections so reads never wait
/// for writes, and busy handling without blocking threads.
/// </para>
/// <para>Every member is thread-safe.</para>
/// </remarks>
public sealed partial class SqliteAdapter : IPersistenceAdapter, IDisposable
{
    private readonly sqlite3? _borrowed;
    private readonly string? _path;
    private readonly SqliteOpenOptions _sqliteOptions;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly AdapterCore _core;

    /// <summary>Gets the kinds' core (for <see cref="SqliteContext"/>).</summary>
    internal AdapterCore Core => _core;
    private volatile SqliteConnectionPool? _pool;

    /// <summary>
    /// Creates an adapter over a handle the caller opened and owns. The adapter never closes it; call
    /// <see cref="ConnectAsync"/> before using the providers.
    /// </summary>
    /// <param name="db">An open SQLitePCLRaw handle (for Microsoft.Data.Sqlite users: <c>connection.Handle</c>).</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    public SqliteAdapter(sqlite3 db, PersistenceAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.IsInvalid || db.IsClosed)
        {
            throw new ArgumentException("The SQLite handle is closed or invalid.", nameof(db));
        }

        _borrowed = db;
        _sqliteOptions = new SqliteOpenOptions { ReaderConnections = 0 };
        Options = AdapterOptions.Validate(options ?? new PersistenceAdapterOptions());
        DataSource = SqliteNative.DataSourceOf(db);
        _core = CreateCore();
    }

    private SqliteAdapter(string path, PersistenceAdapterOptions options, SqliteOpenOptions sqliteOptions)
    {
        _path = path;
        _sqliteOptions = sqliteOptions;
        Options = options;
        DataSource = IsMemoryPath(path) ? ":memory:" : Path.GetFullPath(path);
        _core = CreateCore();
    }

    /// <summary>Gets the options this adapter was created with.</summary>
    public PersistenceAdapterOptions Options { get; }

    /// <summary>Gets the database file's full path, or <c>:memory:</c>.</summary>
    public string DataSource { get; }

    /// <inheritdoc />
    public bool IsConnected => _pool is not null;

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
    /// Creates an adapter that opens (creating if needed) and owns the database file at <paramref name="path"/> when
    /// <see cref="ConnectAsync"/> is called — for hosts that build their services first and connect at start-up.
    /// Nothing is opened here.
    /// </summary>
    /// <param name="path">The file path, or <c>:memory:</c> for a private in-memory database.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="sqlite">How to open the file; <see langword="null"/> for the defaults.</param>
    /// <returns>An adapter that is not connected yet; dispose it to close the file.</returns>
    public static SqliteAdapter Create(string path, PersistenceAdapterOptions? options = null, SqliteOpenOptions? sqlite = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        sqlite ??= new SqliteOpenOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(sqlite.ReaderConnections, nameof(sqlite));
        if (sqlite.ReadOnly && (sqlite.Exclusive || IsMemoryPath(path)))
        {
            throw new ArgumentException(
                "A read-only open cannot be combined with Exclusive (which locks the file for writing) or with ':memory:' (a new, empty database).",
                nameof(sqlite));
        }
        return new SqliteAdapter(path, AdapterOptions.Validate(options ?? new PersistenceAdapterOptions()), sqlite);
    }

    /// <summary>Opens (creating if needed) and connects the database file at <paramref name="path"/>, owning it.</summary>
    /// <param name="path">The file path, or <c>:memory:</c> for a private in-memory database.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>A connected adapter; dispose it to close the file.</returns>
    /// <exception cref="PersistenceException">The file cannot be opened, is not a database, or has a newer schema.</exception>
    public static ValueTask<SqliteAdapter> OpenAsync(string path, PersistenceAdapterOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenAsync(path, options, new SqliteOpenOptions(), cancellationToken);

    /// <summary>Opens (creating if needed) and connects the database file at <paramref name="path"/>, owning it.</summary>
    /// <param name="path">The file path, or <c>:memory:</c> for a private in-memory database.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="sqlite">How to open the file: durability, exclusive mode, reader connections.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    /// <returns>A connected adapter; dispose it to close the file.</returns>
    /// <exception cref="PersistenceException">The file cannot be opened, is not a database, or has a newer schema.</exception>
    public static async ValueTask<SqliteAdapter> OpenAsync(string path, PersistenceAdapterOptions? options, SqliteOpenOptions sqlite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sqlite);
        var adapter = Create(path, options, sqlite);
        await adapter.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return adapter;
    }

    /// <inheritdoc />
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_pool is not null)
            {
                return;
            }

            var pool = _borrowed is not null ? CreateBorrowedPool(_borrowed) : OpenOwnedPool();
            try
            {
                await EnsureSchemaAsync(pool, cancellationToken).ConfigureAwait(false);
                if (_borrowed is null)
                {
                    pool = await ConfigureOwnedAsync(pool, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                pool.Dispose();
                throw;
            }

            _pool = pool;
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
            var pool = _pool;
            if (pool is null)
            {
                return;
            }

            _pool = null;
            _core.OnDisconnected();
            await pool.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Disconnects; a borrowed handle stays open and usable by its owner.</summary>
    /// <returns>A task that completes when every connection the adapter owns is closed.</returns>
    public ValueTask DisposeAsync() => DisconnectAsync(CancellationToken.None);

    /// <summary>Disconnects synchronously; a borrowed handle stays open and usable by its owner.</summary>
    public void Dispose()
    {
        _lifecycle.Wait();
        try
        {
            var pool = _pool;
            _pool = null;
            pool?.Dispose();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Gets the connections, or throws the lifecycle error every provider reports before connect or after disconnect.</summary>
    internal SqliteConnectionPool Pool => _pool ?? throw NotConnected();

    internal InvalidOperationException NotConnected() => new(
        $"The SQLite adapter for '{DataSource}' is not connected: call ConnectAsync (or use SqliteAdapter.OpenAsync) before using its providers, and not after DisconnectAsync or DisposeAsync.");

    private static bool IsMemoryPath(string path) => path is ":memory:";

    private TimeSpan BusyBudget => Options.BusyTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : Options.BusyTimeout;

    private SqliteConnectionPool CreateBorrowedPool(sqlite3 handle) =>
        new(new SqliteConnection(handle, ownsHandle: false, DataSource), [], BusyBudget);

    private SqliteConnectionPool OpenOwnedPool()
    {
        SqliteNative.EnsureInitialized();
        if (_sqliteOptions.ReadOnly)
        {
            if (!File.Exists(DataSource))
            {
                throw new PersistenceException(
                    Directory.Exists(DataSource)
                        ? $"'{DataSource}' is a directory, not a database file."
                        : $"The database file '{DataSource}' does not exist; a read-only open never creates it.",
                    PersistenceErrorKind.CannotOpen,
                    "connect",
                    DataSource);
            }

            // Every statement runs on read-only connections; the "writer" only serializes what would be writes.
            return new SqliteConnectionPool(SqliteNative.Open(DataSource, SQLITE_OPEN_READONLY, "connect"), [], BusyBudget);
        }

        if (!IsMemoryPath(_path!))
        {
            SqliteNative.CreateOwnerOnlyFile(DataSource);
        }

        var writer = SqliteNative.Open(DataSource, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "connect");
        return new SqliteConnectionPool(writer, [], BusyBudget);
    }

    private async ValueTask EnsureSchemaAsync(SqliteConnectionPool pool, CancellationToken cancellationToken)
    {
        // Look first without writing: a file with a newer schema (or a read-only file) must stay untouched.
        var state = await InspectSchemaAsync(pool, cancellationToken).ConfigureAwait(false);
        if (_sqliteOptions.ReadOnly)
        {
            SqliteSchema.ValidateReadOnly(state, DataSource);
        }

        SqliteSchema.Validate(state, Options.CreateTables, DataSource);
        var wrote = !state.IsComplete
            && await CreateSchemaAsync(pool, cancellationToken).ConfigureAwait(false);
        if (PersistenceEvents.IsEnabled)
        {
            var change = !wrote ? SchemaChange.None : state.Version is null ? SchemaChange.Created : SchemaChange.Migrated;
            PersistenceEvents.Connected(new PersistenceConnected("sqlite", DataSource, SqliteSchema.CurrentVersion, change));
        }
    }

    private static unsafe ValueTask<SqliteSchema.State> InspectSchemaAsync(SqliteConnectionPool pool, CancellationToken cancellationToken) =>
        pool.WriteAsync("connect", 0, &InspectSchemaBody, cancellationToken);

    private static SqliteSchema.State InspectSchemaBody(SqliteConnection c, int _) => SqliteSchema.Inspect(c, Tables, "connect");

    private static unsafe ValueTask<bool> CreateSchemaAsync(SqliteConnectionPool pool, CancellationToken cancellationToken) =>
        pool.WriteAsync("schema.create", 0, &CreateSchemaBody, cancellationToken);

    private static bool CreateSchemaBody(SqliteConnection c, int _) => SqliteSchema.Create(c, Tables);

    private async ValueTask<SqliteConnectionPool> ConfigureOwnedAsync(SqliteConnectionPool pool, CancellationToken cancellationToken)
    {
        if (IsMemoryPath(_path!))
        {
            return pool;
        }

        var settings = (_sqliteOptions.Exclusive, _sqliteOptions.Durability);
        await ConfigureWriterAsync(pool, settings, cancellationToken).ConfigureAwait(false);

        if (_sqliteOptions.Exclusive || _sqliteOptions.ReaderConnections == 0)
        {
            return pool;
        }

        var readers = new SqliteConnection[_sqliteOptions.ReaderConnections];
        try
        {
            for (var i = 0; i < readers.Length; i++)
            {
                readers[i] = SqliteNative.Open(DataSource, SQLITE_OPEN_READONLY, "connect");
            }
        }
        catch
        {
            foreach (var reader in readers)
            {
                reader?.Dispose();
            }

            throw;
        }

        return new SqliteConnectionPool(pool.Writer, readers, BusyBudget);
    }

    private static unsafe ValueTask<int> ConfigureWriterAsync(SqliteConnectionPool pool, (bool Exclusive, SqliteDurability Durability) settings, CancellationToken cancellationToken) =>
        pool.WriteAsync("connect", settings, &ConfigureWriterBody, cancellationToken);

    private static int ConfigureWriterBody(SqliteConnection c, (bool Exclusive, SqliteDurability Durability) s)
    {
        if (s.Exclusive)
        {
            c.ExecuteScript("PRAGMA locking_mode=EXCLUSIVE;", "connect");
        }

        if (sqlite3_db_readonly(c.Handle, "main") == 0)
        {
            var mode = c.QueryText("PRAGMA journal_mode=WAL;", "connect");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new PersistenceException(
                    $"The database '{c.DataSource}' could not be switched to WAL mode (it reports '{mode}').",
                    PersistenceErrorKind.Other,
                    "connect",
                    c.DataSource);
            }

            c.ExecuteScript(s.Durability == SqliteDurability.Full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;", "connect");
        }

        return 0;
    }
}
