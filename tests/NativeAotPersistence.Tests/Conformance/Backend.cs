using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.InMemory;
using NativeAotPersistence.Sqlite;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Conformance;

/// <summary>
/// One database of one backend, for one test: creates adapters on it (a second adapter is "another process on the
/// same database") with a shared <see cref="FakeTimeProvider"/>, and reaches under the API to count or corrupt rows.
/// </summary>
public abstract class Backend : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<IPersistenceAdapter> _adapters = [];
    private int _opened;

    public FakeTimeProvider Time { get; } = new(Start);

    public abstract string Name { get; }

    /// <summary>Whether a second adapter can open the same database (not for <c>:memory:</c>).</summary>
    public virtual bool SupportsSecondAdapter => true;

    public bool IsSqlite => this is not InMemoryBackend;

    public PersistenceAdapterOptions Options(
        string prefix = "", LockScope lockScope = LockScope.Database, TimeProvider? time = null, PayloadContext? payloads = null) => new()
    {
        KeyPrefix = prefix,
        LockScope = lockScope,
        TimeProvider = time ?? Time,
        Payloads = payloads,
        BusyTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A connected adapter on this test's database; a second one models another process on it.</summary>
    public ValueTask<IPersistenceAdapter> OpenAsync(
        string prefix = "", LockScope lockScope = LockScope.Database, TimeProvider? time = null, PayloadContext? payloads = null) =>
        OpenAsync(Options(prefix, lockScope, time, payloads));

    public async ValueTask<IPersistenceAdapter> OpenAsync(PersistenceAdapterOptions options)
    {
        RequireDatabase();
        var adapter = await CreateConnectedAsync(options);
        _adapters.Add(adapter);
        return adapter;
    }

    /// <summary>An adapter on this test's database that is not connected yet.</summary>
    public IPersistenceAdapter CreateUnconnected(PersistenceAdapterOptions options)
    {
        // Counted once it exists: options refused by the constructor open no database.
        var adapter = CreateUnconnectedCore(options);
        _adapters.Add(adapter);
        RequireDatabase();
        return adapter;
    }

    /// <summary>
    /// Fails a test that needs two adapters on one database on a backend that has none to share: such tests belong in
    /// the <c>*SharedStoreConformance</c> classes, which are not run there (a case that cannot apply is not generated).
    /// </summary>
    public void RequireSecondAdapter()
    {
        if (!SupportsSecondAdapter)
        {
            throw new InvalidOperationException(
                $"{Name}: ':memory:' is one database per connection, so a second adapter cannot share it. Move the test to a *SharedStoreConformance class.");
        }
    }

    /// <summary>Every row of <paramref name="table"/> (all prefixes, expired or not).</summary>
    public abstract ValueTask<long> CountRowsAsync(IPersistenceAdapter adapter, string table);

    /// <summary>The stored keys of <paramref name="table"/> (ids for checkpoints), ordinally sorted.</summary>
    public abstract ValueTask<IReadOnlyList<string>> StoredKeysAsync(IPersistenceAdapter adapter, string table);

    /// <summary>The raw <c>expires_at</c> of a cache row by stored key, or <see langword="null"/>.</summary>
    public abstract ValueTask<long?> CacheExpiresAtAsync(IPersistenceAdapter adapter, string storedKey);

    /// <summary>Stores raw text as the value of a cache row, bypassing serialization.</summary>
    public abstract ValueTask PutRawCacheAsync(IPersistenceAdapter adapter, string key, string json);

    /// <summary>Stores raw text as the value of an idempotency record.</summary>
    public abstract ValueTask PutRawIdempotencyAsync(IPersistenceAdapter adapter, string key, string json);

    /// <summary>Stores a raw checkpoint row with <paramref name="json"/> as its data.</summary>
    public abstract ValueTask PutRawCheckpointAsync(IPersistenceAdapter adapter, string id, string taskId, long sequence, string json);

    /// <summary>Stores a circuit row with a raw state string.</summary>
    public abstract ValueTask PutRawCircuitStateAsync(IPersistenceAdapter adapter, string key, string state);

    public virtual async ValueTask DisposeAsync()
    {
        for (var i = _adapters.Count - 1; i >= 0; i--)
        {
            await _adapters[i].DisposeAsync();
        }

        _adapters.Clear();
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options);

    protected abstract IPersistenceAdapter CreateUnconnectedCore(PersistenceAdapterOptions options);

    protected static string Stored(IPersistenceAdapter adapter, string kind, string key) => Prefix(adapter) + kind + ":" + key;

    protected static string Prefix(IPersistenceAdapter adapter) => adapter switch
    {
        SqliteAdapter s => s.Options.KeyPrefix,
        InMemoryPersistence m => m.Options.KeyPrefix,
        PostgresAdapter p => p.Options.KeyPrefix,
        _ => throw new ArgumentException("Unknown adapter.", nameof(adapter)),
    };

    private void RequireDatabase()
    {
        if (_opened++ > 0)
        {
            RequireSecondAdapter();
        }
    }
}

/// <summary>The SQLite backends: raw rows through the adapter's own writer connection.</summary>
public abstract class SqliteBackend : Backend
{
    public override ValueTask<long> CountRowsAsync(IPersistenceAdapter adapter, string table) =>
        ExecuteAsync(adapter, $"SELECT COUNT(*) FROM {table}");

    public override unsafe ValueTask<IReadOnlyList<string>> StoredKeysAsync(IPersistenceAdapter adapter, string table) =>
        ((SqliteAdapter)adapter).Pool.WriteAsync("test.raw", table, &StoredKeysBody, CancellationToken.None);

    [SuppressMessage("Performance", "CA1859", Justification = "The read's result type, which its caller returns: a List body would not match the function pointer.")]
    private static IReadOnlyList<string> StoredKeysBody(SqliteConnection c, string table)
    {
        var column = table == "go_goscope_checkpoints" ? "id" : "key";
        c.Check(sqlite3_prepare_v2(c.Handle, $"SELECT {column} FROM {table}", out var statement), "test.raw");
        var keys = new List<string>();
        using (statement)
        {
            while (c.Check(sqlite3_step(statement), "test.raw") == SQLITE_ROW)
            {
                keys.Add(Encoding.UTF8.GetString(sqlite3_column_blob(statement, 0)));
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public override async ValueTask<long?> CacheExpiresAtAsync(IPersistenceAdapter adapter, string storedKey) =>
        await ExecuteAsync(adapter, "SELECT COUNT(*) FROM go_goscope_cache WHERE key = ?1", storedKey) == 0
            ? null
            : await ExecuteAsync(adapter, "SELECT COALESCE(expires_at, -1) FROM go_goscope_cache WHERE key = ?1", storedKey);

    public override async ValueTask PutRawCacheAsync(IPersistenceAdapter adapter, string key, string json) =>
        await ExecuteAsync(adapter, "INSERT OR REPLACE INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (?1, ?2, NULL, 0)",
            Stored(adapter, "cache", key), json);

    public override async ValueTask PutRawIdempotencyAsync(IPersistenceAdapter adapter, string key, string json) =>
        await ExecuteAsync(adapter, "INSERT OR REPLACE INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES (?1, ?2, NULL, 0, 0)",
            Stored(adapter, "idempotency", key), json);

    public override async ValueTask PutRawCheckpointAsync(IPersistenceAdapter adapter, string id, string taskId, long sequence, string json) =>
        await ExecuteAsync(adapter, """
            INSERT OR REPLACE INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, progress, data, estimated_time_remaining, created_at)
            VALUES (?1, ?2, ?3, 0, 0, ?4, NULL, 0)
            """, Stored(adapter, "checkpoint", id), Stored(adapter, "task", taskId), sequence, json);

    public override async ValueTask PutRawCircuitStateAsync(IPersistenceAdapter adapter, string key, string state) =>
        await ExecuteAsync(adapter, "INSERT OR REPLACE INTO go_goscope_circuit(key, state, failure_count, updated_at) VALUES (?1, ?2, 0, 0)",
            Stored(adapter, "circuit", key), state);

    /// <summary>Runs SQL on the adapter's writer connection; returns the first column of the first row, if any.</summary>
    public static unsafe ValueTask<long> ExecuteAsync(IPersistenceAdapter adapter, string sql, params object?[] args) =>
        ((SqliteAdapter)adapter).Pool.WriteAsync("test.raw", (sql, args), &ExecuteBody, CancellationToken.None);

    private static long ExecuteBody(SqliteConnection c, (string sql, object?[] args) s)
    {
        c.Check(sqlite3_prepare_v2(c.Handle, s.sql, out var statement), "test.raw");
        using (statement)
        {
            for (var i = 0; i < s.args.Length; i++)
            {
                var rc = s.args[i] switch
                {
                    null => sqlite3_bind_null(statement, i + 1),
                    string text => sqlite3_bind_text(statement, i + 1, Encoding.UTF8.GetBytes(text)),
                    long number => sqlite3_bind_int64(statement, i + 1, number),
                    int number => sqlite3_bind_int64(statement, i + 1, number),
                    _ => throw new ArgumentException("Unsupported argument."),
                };
                c.Check(rc, "test.raw");
            }

            return c.Check(sqlite3_step(statement), "test.raw") == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
        }
    }
}

/// <summary>(a) <c>SqliteAdapter.OpenAsync(":memory:")</c>: one private database per adapter.</summary>
public sealed class SqliteMemoryBackend : SqliteBackend
{
    private readonly List<sqlite3> _handles = [];

    public override string Name => "sqlite-memory";

    public override bool SupportsSecondAdapter => false;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var handle in _handles)
        {
            handle.Dispose();
        }
    }

    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options) =>
        await SqliteAdapter.OpenAsync(":memory:", options);

    protected override IPersistenceAdapter CreateUnconnectedCore(PersistenceAdapterOptions options)
    {
        Batteries_V2.Init();
        Assert.Equal(SQLITE_OK, sqlite3_open(":memory:", out var db));
        _handles.Add(db);
        return new SqliteAdapter(db, options);
    }
}

/// <summary>(b) <c>SqliteAdapter.OpenAsync(path)</c>: a WAL file in a temp directory; every adapter opens the same file.</summary>
public sealed class SqliteFileBackend : SqliteBackend
{
    private readonly TempDirectory _dir = new();

    public override string Name => "sqlite-file";

    public string Path => _dir.File("conformance.db");

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options) =>
        await SqliteAdapter.OpenAsync(Path, options);

    protected override IPersistenceAdapter CreateUnconnectedCore(PersistenceAdapterOptions options)
    {
        Batteries_V2.Init();
        Assert.Equal(SQLITE_OK, sqlite3_open(Path, out var db));
        return new OwningAdapter(new SqliteAdapter(db, options), db);
    }

    /// <summary>Not a real wrapper: the unconnected file adapter is a borrowed one whose handle the test closes.</summary>
    private sealed class OwningAdapter(SqliteAdapter inner, sqlite3 db) : IPersistenceAdapter
    {
        public bool IsConnected => inner.IsConnected;

        public ICacheProvider Cache => inner.Cache;

        public ILockProvider Locks => inner.Locks;

        public ICircuitBreakerStateProvider CircuitBreakers => inner.CircuitBreakers;

        public ICheckpointProvider Checkpoints => inner.Checkpoints;

        public IIdempotencyProvider Idempotency => inner.Idempotency;

        public ISemaphoreProvider Semaphores => inner.Semaphores;

        public IRateLimitProvider RateLimits => inner.RateLimits;

        public PersistenceProviders Providers => inner.Providers;

        public IPersistenceAdmin Admin => inner.Admin;

        public ValueTask ConnectAsync(CancellationToken cancellationToken = default) => inner.ConnectAsync(cancellationToken);

        public ValueTask DisconnectAsync(CancellationToken cancellationToken = default) => inner.DisconnectAsync(cancellationToken);

        public ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default) => inner.PruneAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            db.Dispose();
        }
    }
}

/// <summary>(c) A borrowed handle: the test opens the file with SQLitePCLRaw and closes it after the adapter.</summary>
public sealed class SqliteBorrowedBackend : SqliteBackend
{
    private readonly TempDirectory _dir = new();
    private readonly List<sqlite3> _handles = [];

    public override string Name => "sqlite-borrowed";

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var handle in _handles)
        {
            handle.Dispose();
        }

        _dir.Dispose();
    }

    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options)
    {
        var adapter = CreateUnconnectedCore(options);
        await adapter.ConnectAsync();
        return adapter;
    }

    protected override IPersistenceAdapter CreateUnconnectedCore(PersistenceAdapterOptions options)
    {
        Batteries_V2.Init();
        Assert.Equal(SQLITE_OK, sqlite3_open(_dir.File("borrowed.db"), out var db));
        _handles.Add(db);

        // The caller configures a handle it owns: this one keeps the rollback journal (unlike OpenAsync's WAL), so
        // the suite covers both locking modes, but skips fsync and keeps the journal file between commits, which
        // would otherwise make thousands of commits take minutes.
        Assert.Equal(SQLITE_OK, sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA journal_mode=PERSIST;"));
        return new SqliteAdapter(db, options);
    }
}

/// <summary>(d) <see cref="InMemoryPersistence"/>: every adapter shares one <see cref="InMemoryStore"/>.</summary>
public sealed class InMemoryBackend : Backend
{
    public InMemoryStore Store { get; } = new();

    public override string Name => "in-memory";

    public override ValueTask<long> CountRowsAsync(IPersistenceAdapter adapter, string table)
    {
        long count;
        switch (table)
        {
            case "go_goscope_cache":
                lock (Store.Cache.Sync)
                {
                    count = Store.Cache.Count;
                }

                break;
            case "go_goscope_idempotency":
                lock (Store.Idempotency.Sync)
                {
                    count = Store.Idempotency.Count;
                }

                break;
            case "go_goscope_locks":
                lock (Store.Locks.Sync)
                {
                    count = Store.Locks.Rows.Count;
                }

                break;
            case "go_goscope_checkpoints":
                lock (Store.Checkpoints.Sync)
                {
                    count = Store.Checkpoints.Count;
                }

                break;
            case "go_goscope_circuit":
                lock (Store.Circuits.Sync)
                {
                    count = Store.Circuits.Rows.Count;
                }

                break;
            default:
                throw new ArgumentException("Unknown table.", nameof(table));
        }

        return new ValueTask<long>(count);
    }

    public override ValueTask<IReadOnlyList<string>> StoredKeysAsync(IPersistenceAdapter adapter, string table)
    {
        List<string> keys = table switch
        {
            "go_goscope_cache" => Locked(Store.Cache.Sync, () => Store.Cache.Rows.Keys.ToList()),
            "go_goscope_idempotency" => Locked(Store.Idempotency.Sync, () => Store.Idempotency.Rows.Keys.ToList()),
            "go_goscope_circuit" => Locked(Store.Circuits.Sync, () => Store.Circuits.Rows.Keys.ToList()),
            "go_goscope_locks" => Locked(Store.Locks.Sync, () => Store.Locks.Rows.Keys.ToList()),
            "go_goscope_checkpoints" => Locked(Store.Checkpoints.Sync, () => Store.Checkpoints.Ids.ToList()),
            _ => throw new ArgumentException("Unknown table.", nameof(table)),
        };
        keys.Sort(StringComparer.Ordinal);
        return new ValueTask<IReadOnlyList<string>>(keys);
    }

    public override ValueTask<long?> CacheExpiresAtAsync(IPersistenceAdapter adapter, string storedKey)
    {
        lock (Store.Cache.Sync)
        {
            return new ValueTask<long?>(Store.Cache.TryGet(storedKey, out var row) ? row.ExpiresAtMs ?? -1 : null);
        }
    }

    public override ValueTask PutRawCacheAsync(IPersistenceAdapter adapter, string key, string json)
    {
        lock (Store.Cache.Sync)
        {
            Store.Cache.Put(Stored(adapter, "cache", key), new ExpiringRow(Encoding.UTF8.GetBytes(json), null, 0, 0));
        }

        return default;
    }

    public override ValueTask PutRawIdempotencyAsync(IPersistenceAdapter adapter, string key, string json)
    {
        lock (Store.Idempotency.Sync)
        {
            Store.Idempotency.Put(Stored(adapter, "idempotency", key), new ExpiringRow(Encoding.UTF8.GetBytes(json), null, 0, 0));
        }

        return default;
    }

    public override ValueTask PutRawCheckpointAsync(IPersistenceAdapter adapter, string id, string taskId, long sequence, string json)
    {
        lock (Store.Checkpoints.Sync)
        {
            Store.Checkpoints.Put(
                Stored(adapter, "checkpoint", id),
                new CheckpointRow(Stored(adapter, "task", taskId), sequence, 0, 0, Encoding.UTF8.GetBytes(json), null, 0));
        }

        return default;
    }

    public override ValueTask PutRawCircuitStateAsync(IPersistenceAdapter adapter, string key, string state)
    {
        lock (Store.Circuits.Sync)
        {
            Store.Circuits.Rows[Stored(adapter, "circuit", key)] = new StoredCircuit(state, 0, null, null, 0);
        }

        return default;
    }

    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options)
    {
        var adapter = new InMemoryPersistence(options, Store);
        await adapter.ConnectAsync();
        return adapter;
    }

    protected override IPersistenceAdapter CreateUnconnectedCore(PersistenceAdapterOptions options) => new InMemoryPersistence(options, Store);

    private static T Locked<T>(Lock sync, Func<T> read)
    {
        lock (sync)
        {
            return read();
        }
    }
}

/// <summary>
/// (e) <see cref="PostgresAdapter"/> on the throwaway test server: a fresh schema per test. Connected adapters own
/// their data source (<c>OpenAsync</c>); unconnected ones borrow one the backend built and disposes.
/// </summary>
public sealed class PostgresBackend : Backend
{
    private readonly List<Npgsql.NpgsqlDataSource> _sources = [];
    private string? _connectionString;
    private Npgsql.NpgsqlDataSource? _raw;

    public override string Name => "postgresql";

    public async ValueTask<string> ConnectionStringAsync() => _connectionString ??= await NativeAotPersistence.Tests.PostgreSql.PostgresServer.CreateSchemaAsync();

    public override ValueTask<long> CountRowsAsync(IPersistenceAdapter adapter, string table) =>
        ScalarAsync($"SELECT count(*) FROM {table}");

    public override async ValueTask<IReadOnlyList<string>> StoredKeysAsync(IPersistenceAdapter adapter, string table)
    {
        var column = table == "go_goscope_checkpoints" ? "id" : "key";
        var keys = new List<string>();
        await using var command = (await RawAsync()).CreateCommand($"SELECT {column} FROM {table}");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(0)));
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public override async ValueTask<long?> CacheExpiresAtAsync(IPersistenceAdapter adapter, string storedKey)
    {
        await using var command = (await RawAsync()).CreateCommand("SELECT coalesce(expires_at, -1) FROM go_goscope_cache WHERE key = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Encoding.UTF8.GetBytes(storedKey) });
        return await command.ExecuteScalarAsync() is long value ? value : null;
    }

    public override async ValueTask PutRawCacheAsync(IPersistenceAdapter adapter, string key, string json) =>
        await ExecuteAsync("""
            INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ($1, $2, NULL, 0)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = NULL
            """, Encoding.UTF8.GetBytes(Stored(adapter, "cache", key)), json);

    public override async ValueTask PutRawIdempotencyAsync(IPersistenceAdapter adapter, string key, string json) =>
        await ExecuteAsync("""
            INSERT INTO go_goscope_idempotency(key, value, expires_at, created_at, updated_at) VALUES ($1, $2, NULL, 0, 0)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = NULL
            """, Encoding.UTF8.GetBytes(Stored(adapter, "idempotency", key)), json);

    public override async ValueTask PutRawCheckpointAsync(IPersistenceAdapter adapter, string id, string taskId, long sequence, string json) =>
        await ExecuteAsync("""
            INSERT INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, progress, data, estimated_time_remaining, created_at)
            VALUES ($1, $2, $3, 0, 0, $4, NULL, 0)
            ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, sequence = excluded.sequence, data = excluded.data
            """, Encoding.UTF8.GetBytes(Stored(adapter, "checkpoint", id)), Encoding.UTF8.GetBytes(Stored(adapter, "task", taskId)), sequence, json);

    public override async ValueTask PutRawCircuitStateAsync(IPersistenceAdapter adapter, string key, string state) =>
        await ExecuteAsync("""
            INSERT INTO go_goscope_circuit(key, state, failure_count, updated_at) VALUES ($1, $2, 0, 0)
            ON CONFLICT (key) DO UPDATE SET state = excluded.state
            """, Encoding.UTF8.GetBytes(Stored(adapter, "circuit", key)), state);

    /// <summary>Runs SQL on the test's schema; returns the first column of the first row as a number, if any.</summary>
    public async ValueTask<long> ExecuteAsync(string sql, params object[] args)
    {
        await using var command = (await RawAsync()).CreateCommand(sql);
        foreach (var arg in args)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = arg });
        }

        return await command.ExecuteScalarAsync() switch
        {
            long l => l,
            int i => i,
            _ => 0,
        };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }
    }

    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options) =>
        await PostgresAdapter.OpenAsync(await ConnectionStringAsync(), options);

    protected override IPersistenceAdapter CreateUnconnectedCore(PersistenceAdapterOptions options)
    {
        var source = Npgsql.NpgsqlDataSource.Create(ConnectionStringAsync().AsTask().GetAwaiter().GetResult());
        _sources.Add(source);
        return new PostgresAdapter(source, options);
    }

    private ValueTask<long> ScalarAsync(string sql) => ExecuteAsync(sql);

    private async ValueTask<Npgsql.NpgsqlDataSource> RawAsync() => _raw ??= Npgsql.NpgsqlDataSource.Create(await ConnectionStringAsync());
}
