using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>
/// Schema migrations on files earlier releases wrote (Fixtures/schema-v1.db, and version 2 and 3 files): the new columns are
/// added in one transaction on connect, every row survives, and the file is left alone where the migration is not
/// allowed.
/// </summary>
public sealed class SchemaMigrationTests : IDisposable
{
    // The fixture was written at 2026-11-26T01:05:42Z; its cache entries live for 10 s from then.
    private static readonly DateTimeOffset Written = new(2026, 11, 26, 1, 5, 45, TimeSpan.Zero);

    private static readonly string Current = SchemaRules.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private readonly TempDirectory _dir = new();
    private readonly string _path;

    public SchemaMigrationTests()
    {
        _path = _dir.File("v1.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema-v1.db"), _path);
    }

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Version1File_IsMigratedOnConnect_AndKeepsEveryRow()
    {
        List<string> cacheKeys;
        using (var raw = new RawSqlite(_path))
        {
            Assert.Equal("1", raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal("0", raw.Scalar("SELECT count(*) FROM pragma_table_info('go_goscope_cache') WHERE name = 'sliding_ms'"));
            Assert.Equal("39", raw.Scalar("SELECT count(*) FROM go_goscope_cache"));
            cacheKeys = Enumerable.Range(0, 39).Select(i => raw.Scalar($"SELECT substr(key, 18) FROM go_goscope_cache ORDER BY key LIMIT 1 OFFSET {i}")!).ToList();
        }

        var time = new FakeTimeProvider(Written);
        await using (var p = await SqliteAdapter.OpenAsync(_path, new PersistenceAdapterOptions { KeyPrefix = "aotconsole:", TimeProvider = time }))
        {
            Assert.Equal(cacheKeys, await p.Cache.KeysAsync(cancellationToken: Ct));
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Single(await p.Admin.ListIdempotencyKeysAsync(cancellationToken: Ct));

            // Rows from version 1 keep their expiry: 10 s after they were written, they are gone.
            time.Advance(TimeSpan.FromSeconds(10));
            Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));

            // The new feature works on the migrated file, and the lock counter carried over (it was 2).
            await p.Cache.SetAsync("slides", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(1) }, Ct);
            time.Advance(TimeSpan.FromMilliseconds(900));
            Assert.Equal(1, await p.Cache.GetAsync<int>("slides", Ct));
            time.Advance(TimeSpan.FromMilliseconds(900));
            Assert.Equal(1, await p.Cache.GetAsync<int>("slides", Ct));
        }

        using (var raw = new RawSqlite(_path))
        {
            Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal("2", raw.Scalar("SELECT count(*) FROM pragma_table_info('go_goscope_cache') WHERE name IN ('sliding_ms', 'absolute_expires_at')"));
            Assert.Equal("1", raw.Scalar("SELECT count(*) FROM pragma_table_info('go_goscope_circuit') WHERE name = 'fleet'"));
            Assert.Equal("40", raw.Scalar("SELECT count(*) FROM go_goscope_cache"));
            Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        }
    }

    [Fact]
    public async Task AFileOfTheJavaScriptOriginal_IsMigrated_AndItsUntaggedRowsAreNeitherReadNorTouched()
    {
        // The original's three tables (no meta table, no version), with rows keyed "{prefix}{key}" and no kind tag.
        var path = _dir.File("original.db");
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("""
                CREATE TABLE go_goscope_circuit (key TEXT PRIMARY KEY, state TEXT NOT NULL, failure_count INTEGER NOT NULL DEFAULT 0,
                  last_failure_time INTEGER, last_success_time INTEGER, updated_at INTEGER NOT NULL);
                CREATE TABLE go_goscope_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER, created_at INTEGER DEFAULT (unixepoch()));
                CREATE INDEX idx_cache_expires ON go_goscope_cache(expires_at);
                CREATE TABLE go_goscope_checkpoints (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, sequence INTEGER NOT NULL, timestamp INTEGER NOT NULL,
                  progress INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL, estimated_time_remaining INTEGER, created_at INTEGER DEFAULT (unixepoch()));
                INSERT INTO go_goscope_cache(key, value, expires_at) VALUES ('myapp:greeting', '"hello"', 1), ('myapp:forever', '"still here"', NULL);
                INSERT INTO go_goscope_circuit(key, state, failure_count, updated_at) VALUES ('myapp:payments', 'open', 5, 1);
                """);
        }

        await using (var p = await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { KeyPrefix = "myapp:" }))
        {
            Assert.Null(await p.Cache.GetAsync<string>("greeting", Ct));
            Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
            Assert.Null(await p.CircuitBreakers.GetStateAsync("payments", Ct));
            Assert.Equal(0, (await p.PruneAsync(Ct)).Cache);
            await p.Cache.SetAsync("greeting", "hi", cancellationToken: Ct);
            Assert.Equal("hi", await p.Cache.GetAsync<string>("greeting", Ct));
        }

        using (var check = new RawSqlite(path))
        {
            Assert.Equal(Current, check.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal("myapp:cache:greeting,myapp:forever,myapp:greeting", check.Scalar("SELECT group_concat(key, ',') FROM (SELECT key FROM go_goscope_cache ORDER BY key)"));
            Assert.Equal("\"hello\"", check.Scalar("SELECT value FROM go_goscope_cache WHERE key = 'myapp:greeting'"));
            Assert.Equal("open", check.Scalar("SELECT state FROM go_goscope_circuit WHERE key = 'myapp:payments'"));
        }
    }

    [Fact]
    public async Task Version1File_WithCreateTablesOff_IsRefused_AndLeftByteIdentical()
    {
        var before = await File.ReadAllBytesAsync(_path, Ct);
        var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(_path, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, e.Kind);
        Assert.Contains($"schema version 1 must be migrated to {SchemaRules.CurrentVersion}", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_path, Ct));
    }

    [Fact]
    public async Task MigratingTwice_IsANoOp_AndTwoAdaptersMigratingAtOnce_BothSucceed()
    {
        var opens = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => SqliteAdapter.OpenAsync(_path).AsTask()));
        foreach (var p in opens)
        {
            await p.DisposeAsync();
        }

        await using (await SqliteAdapter.OpenAsync(_path))
        {
        }

        using var raw = new RawSqlite(_path);
        Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
    }

    [Fact]
    public async Task AFileOfTheOriginal_WithoutAVersion_GainsTheRestOfTheSchema_AndKeepsItsRows()
    {
        // The JavaScript original's three tables, exactly as its documentation creates them, with rows it wrote.
        var original = _dir.File("original.db");
        using (var raw = new RawSqlite(original))
        {
            raw.Exec("""
                CREATE TABLE IF NOT EXISTS go_goscope_circuit (key TEXT PRIMARY KEY, state TEXT NOT NULL,
                  failure_count INTEGER NOT NULL DEFAULT 0, last_failure_time INTEGER, last_success_time INTEGER,
                  updated_at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS go_goscope_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL,
                  expires_at INTEGER, created_at INTEGER DEFAULT (unixepoch()));
                CREATE INDEX IF NOT EXISTS idx_cache_expires ON go_goscope_cache(expires_at);
                CREATE TABLE IF NOT EXISTS go_goscope_checkpoints (id TEXT PRIMARY KEY, task_id TEXT NOT NULL,
                  sequence INTEGER NOT NULL, timestamp INTEGER NOT NULL, progress INTEGER NOT NULL DEFAULT 0,
                  data TEXT NOT NULL, estimated_time_remaining INTEGER, created_at INTEGER DEFAULT (unixepoch()));
                CREATE INDEX IF NOT EXISTS idx_checkpoints_task ON go_goscope_checkpoints(task_id);
                CREATE INDEX IF NOT EXISTS idx_checkpoints_sequence ON go_goscope_checkpoints(task_id, sequence);
                INSERT INTO go_goscope_cache(key, value, expires_at) VALUES ('greeting', '"hello"', NULL);
                INSERT INTO go_goscope_circuit(key, state, failure_count, updated_at) VALUES ('upstream', 'open', 5, 1764100000);
                INSERT INTO go_goscope_checkpoints(id, task_id, sequence, timestamp, data) VALUES ('c1', 'job', 1, 1764100000, '{}');
                """);
        }

        await using (var p = await SqliteAdapter.OpenAsync(original))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            await p.Cache.SetAsync("slides", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct);
            Assert.Equal(1, await p.Cache.GetAsync<int>("slides", Ct));
            Assert.Equal(1, await p.CircuitBreakers.RecordFailureAsync("mine", 3, Ct));
            await p.Checkpoints.SaveAsync(new Checkpoint<int>("c2", "task", 1, DateTimeOffset.UtcNow, 10, 7), Ct);
            Assert.Equal(7, (await p.Checkpoints.LoadLatestAsync<int>("task", Ct))!.Data);
            await p.Idempotency.SetAsync("once", true, cancellationToken: Ct);
            var handle = await p.Locks.AcquireAsync("lock", TimeSpan.FromMinutes(1), cancellationToken: Ct);
            Assert.NotNull(handle);
            await handle.ReleaseAsync(Ct);
        }

        using (var raw = new RawSqlite(original))
        {
            Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal(2, raw.Count("SELECT count(*) FROM pragma_table_info('go_goscope_cache') WHERE name IN ('sliding_ms', 'absolute_expires_at')"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM pragma_table_info('go_goscope_circuit') WHERE name = 'fleet'"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM sqlite_master WHERE name = 'go_goscope_idempotency'"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM sqlite_master WHERE name = 'go_goscope_locks'"));

            // The original's rows are still there, untouched (its keys have no namespace, so the API does not list them).
            Assert.Equal("\"hello\"", raw.Scalar("SELECT value FROM go_goscope_cache WHERE key = 'greeting'"));
            Assert.Equal("5", raw.Scalar("SELECT failure_count FROM go_goscope_circuit WHERE key = 'upstream'"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM go_goscope_checkpoints WHERE id = 'c1'"));
        }
    }

    [Fact]
    public async Task Version2File_GainsTheHolderColumns_AndItsLocksAreJudgedByTheirTtl()
    {
        // A version 2 file: this release's schema without the holder columns (nor the fleet column of version 4), and a
        // lock a version 2 process holds.
        var path = _dir.File("v2.db");
        var far = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds();
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        using (var raw = new RawSqlite(path))
        {
            raw.Exec(DropVersion5);
            raw.Exec($"""
                ALTER TABLE go_goscope_locks DROP COLUMN holder_host;
                ALTER TABLE go_goscope_locks DROP COLUMN holder_pid;
                ALTER TABLE go_goscope_locks DROP COLUMN holder_start;
                ALTER TABLE go_goscope_circuit DROP COLUMN fleet;
                UPDATE go_goscope_meta SET value = '2' WHERE key = 'schema_version';
                INSERT INTO go_goscope_locks VALUES ('lock:job', 'legacy', {far}, 7);
                """);
        }

        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Contains($"schema version 2 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);

        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            var info = await p.Locks.GetInfoAsync("job", Ct);
            Assert.Equal(("legacy", 7L, (LockHolder?)null), (info!.Owner, info.FencingToken, info.Holder));
            Assert.Null(await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "next", Ct));
            await using var other = await p.Locks.AcquireAsync("other", TimeSpan.FromMinutes(1), "next", Ct);
            Assert.Equal(Environment.ProcessId, (await p.Locks.GetInfoAsync("other", Ct))!.Holder!.ProcessId);
        }

        using (var raw = new RawSqlite(path))
        {
            Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal(3, raw.Count("SELECT count(*) FROM pragma_table_info('go_goscope_locks') WHERE name LIKE 'holder_%'"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM pragma_table_info('go_goscope_circuit') WHERE name = 'fleet'"));
            Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        }
    }

    [Fact]
    public async Task Version3File_GainsTheFleetColumn_AndKeepsItsCircuits()
    {
        // A version 3 file: this release's schema without the fleet column, and circuits a version 3 process wrote.
        var path = _dir.File("v3.db");
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        using (var raw = new RawSqlite(path))
        {
            raw.Exec(DropVersion5);
            raw.Exec("""
                ALTER TABLE go_goscope_circuit DROP COLUMN fleet;
                UPDATE go_goscope_meta SET value = '3' WHERE key = 'schema_version';
                INSERT INTO go_goscope_circuit VALUES ('circuit:payments', 'open', 5, 1764100000000, NULL, 1764100000001);
                INSERT INTO go_goscope_circuit VALUES ('circuit:search', 'closed', 0, NULL, 1764100000002, 1764100000002);
                """);
        }

        var before = await File.ReadAllBytesAsync(path, Ct);
        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, refused.Kind);
        Assert.Contains($"schema version 3 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));

        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            var opened = DateTimeOffset.FromUnixTimeMilliseconds(1764100000000);
            Assert.Equal(new CircuitBreakerPersistedState(CircuitState.Open, 5, opened), await p.CircuitBreakers.GetStateAsync("payments", Ct));
            Assert.Equal(2, (await p.Admin.ListCircuitsAsync(Ct)).Count);

            // The fleet store reads the old rows with no fleet state, and stores one.
            var seen = new List<(CircuitState, int, long?, long?, string?)>();
            var store = Assert.IsAssignableFrom<ICircuitStore>(p.CircuitBreakers);
            await store.UpdateAsync("payments", new FleetMark(seen), Ct);
            await store.UpdateAsync("payments", new FleetMark(seen), Ct);
            Assert.Equal(
                [(CircuitState.Open, 5, 1764100000000, null, null), (CircuitState.Open, 5, 1764100000000, null, "marked")],
                seen);
        }

        using (var raw = new RawSqlite(path))
        {
            Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal("marked", raw.Scalar("SELECT fleet FROM go_goscope_circuit WHERE key = 'circuit:payments'"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM go_goscope_circuit WHERE key = 'circuit:search' AND fleet IS NULL AND last_success_time = 1764100000002"));
            Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        }
    }

    // What version 6 added: the cache's fresh_until column (fail-safe rows).
    private const string DropVersion6 = """
        ALTER TABLE go_goscope_cache DROP COLUMN fresh_until;

        """;

    // What versions 5 and 6 added: the cache's tags column, their index table and its triggers; fresh_until.
    private const string DropVersion5 = DropVersion6 + """
        DROP TRIGGER go_goscope_cache_tags_insert;
        DROP TRIGGER go_goscope_cache_tags_update;
        DROP TRIGGER go_goscope_cache_tags_delete;
        DROP TABLE go_goscope_cache_tags;
        ALTER TABLE go_goscope_cache DROP COLUMN tags;
        """;

    [Fact]
    public async Task AVersion5ProcessStillRunningAfterTheMigration_WritesRowsVersion6Reads_ByTheirOwnExpiry()
    {
        // A rolling upgrade: a version 5 process keeps writing with its own statements (which know nothing of
        // fresh_until) over fail-safe rows a version 6 process wrote.
        var path = _dir.File("mixed.db");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var p = await SqliteAdapter.OpenAsync(path);
        var failSafe = new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), FailSafeMaxDuration = TimeSpan.FromHours(1) };
        await p.Cache.SetAsync("stale", 1, failSafe, Ct);
        await p.Cache.SetAsync("fresh", 1, failSafe, Ct);
        const string version5Set = """
            INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ('cache:{0}', '2', {1}, {2})
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at,
              sliding_ms = NULL, absolute_expires_at = NULL, tags = NULL
            """;
        using (var raw = new RawSqlite(path))
        {
            // "stale" has gone stale (fresh_until passed) before the version 5 process stores it again for an hour;
            // "fresh" is still fresh when the version 5 process stores it again for ever.
            raw.Exec($"UPDATE go_goscope_cache SET fresh_until = {now - 1_000}, created_at = {now - 2_000} WHERE key = 'cache:stale'");
            raw.Exec(string.Format(System.Globalization.CultureInfo.InvariantCulture, version5Set, "stale", now + 3_600_000, now));
            raw.Exec(string.Format(System.Globalization.CultureInfo.InvariantCulture, version5Set, "fresh", "NULL", now).Replace("'2'", "'3'", StringComparison.Ordinal));
        }

        Assert.Equal(2, await p.Cache.GetAsync<int>("stale", Ct));
        Assert.True(await p.Cache.HasAsync("stale", Ct));
        Assert.Equal(3, await p.Cache.GetAsync<int>("fresh", Ct));
        Assert.Equal(["fresh", "stale"], await p.Cache.KeysAsync(cancellationToken: Ct));
        Assert.Equal(new RowCounts(2, 0), (await p.Admin.GetStatsAsync(Ct)).Cache);
        Assert.Equal(new GetOrSetResult<int>(3, GetOrSetSource.Cache),
            await p.Cache.GetOrSetResultAsync<int>("fresh", _ => throw new InvalidOperationException("unused"), new GetOrSetOptions { Entry = failSafe }, cancellationToken: Ct));
    }

    [Fact]
    public async Task Version5File_GainsFailSafeRows_AndKeepsItsEntriesLiveAsTheyWere()
    {
        // A version 5 file: this release's schema without fresh_until, and entries a version 5 process wrote.
        var path = _dir.File("v5.db");
        var far = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        using (var raw = new RawSqlite(path))
        {
            raw.Exec(DropVersion6);
            raw.Exec($"""
                UPDATE go_goscope_meta SET value = '5' WHERE key = 'schema_version';
                INSERT INTO go_goscope_cache(key, value, expires_at, created_at, tags) VALUES ('cache:old', '1', {far}, 1764100000000, '["t"]');
                INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ('cache:gone', '2', 1764100000001, 1764100000000);
                """);
        }

        var before = await File.ReadAllBytesAsync(path, Ct);
        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Contains($"schema version 5 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));

        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Equal(1, await p.Cache.GetAsync<int>("old", Ct));
            Assert.False(await p.Cache.HasAsync("gone", Ct));
            Assert.Equal(["old"], await p.Cache.KeysAsync(cancellationToken: Ct));
            await p.Cache.SetAsync("kept", 3, new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), FailSafeMaxDuration = TimeSpan.FromHours(1) }, Ct);
            Assert.Equal(3, await p.Cache.GetAsync<int>("kept", Ct));
            Assert.Equal(1, await p.Cache.RemoveByTagAsync("t", Ct));
        }

        using (var raw = new RawSqlite(path))
        {
            Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal(1, raw.Count("SELECT count(*) FROM go_goscope_cache WHERE key = 'cache:kept' AND fresh_until IS NOT NULL AND expires_at > fresh_until"));
            Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        }
    }

    [Fact]
    public async Task Version4File_GainsCacheTags_AndKeepsItsEntries()
    {
        // A version 4 file: this release's schema without the tags, and entries a version 4 process wrote.
        var path = _dir.File("v4.db");
        await (await SqliteAdapter.OpenAsync(path)).DisposeAsync();
        using (var raw = new RawSqlite(path))
        {
            raw.Exec(DropVersion5);
            raw.Exec("""
                UPDATE go_goscope_meta SET value = '4' WHERE key = 'schema_version';
                INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES ('cache:old', '1', NULL, 1764100000000);
                """);
        }

        var before = await File.ReadAllBytesAsync(path, Ct);
        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(path, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, refused.Kind);
        Assert.Contains($"schema version 4 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));

        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Equal(1, await p.Cache.GetAsync<int>("old", Ct));
            await p.Cache.SetAsync("new", 2, new CacheEntryOptions { Tags = ["t"] }, Ct);
            await p.Cache.SetAsync("old", 3, new CacheEntryOptions { Tags = ["t", "u"] }, Ct);
            Assert.Equal(2, await p.Cache.RemoveByTagAsync("t", Ct));
            Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
        }

        using (var raw = new RawSqlite(path))
        {
            Assert.Equal(Current, raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal(0, raw.Count("SELECT count(*) FROM go_goscope_cache_tags"));
            Assert.Equal(3, raw.Count("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'go_goscope_cache_tags_%'"));
            Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        }
    }

    [Fact]
    public async Task AFileThatLostTheTagsIndexOrATrigger_GetsThemBackOnConnect_RebuiltFromTheEntries()
    {
        var path = _dir.File("lost-tags.db");
        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            await p.Cache.SetAsync("a", 1, new CacheEntryOptions { Tags = ["t", "u"] }, Ct);
            await p.Cache.SetAsync("b", 2, new CacheEntryOptions { Tags = ["t"] }, Ct);
        }

        using (var raw = new RawSqlite(path))
        {
            raw.Exec("DROP TABLE go_goscope_cache_tags;");
        }

        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            Assert.Equal([new CacheTagSummary("t", new RowCounts(2, 0)), new CacheTagSummary("u", new RowCounts(1, 0))], await p.Admin.ListCacheTagsAsync(Ct));
        }

        // A dropped delete trigger: deletes leave index rows behind (here by hand), until a connect puts the trigger back
        // and the rebuild drops the rows no entry has.
        using (var raw = new RawSqlite(path))
        {
            raw.Exec("DROP TRIGGER go_goscope_cache_tags_delete; DELETE FROM go_goscope_cache WHERE key = 'cache:b';");
            Assert.Equal(3, raw.Count("SELECT count(*) FROM go_goscope_cache_tags"));
        }

        await using (var p = await SqliteAdapter.OpenAsync(path))
        {
            await p.Cache.SetAsync("b", 3, cancellationToken: Ct);
            Assert.Equal(1, await p.Cache.RemoveByTagAsync("t", Ct));
            Assert.Equal(3, await p.Cache.GetAsync<int>("b", Ct));
        }

        using (var raw = new RawSqlite(path))
        {
            Assert.Equal(3, raw.Count("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'go_goscope_cache_tags_%'"));
            Assert.Equal(0, raw.Count("SELECT count(*) FROM go_goscope_cache_tags"));
        }
    }

    /// <summary>Records the row it was given and stores it with the fleet text <c>marked</c>.</summary>
    private sealed class FleetMark(List<(CircuitState, int, long?, long?, string?)> seen) : CircuitRule
    {
        public override CircuitRow? Apply(CircuitRow? stored, long nowMs)
        {
            var row = stored!;
            seen.Add((row.State, row.FailureCount, row.LastFailureMs, row.LastSuccessMs, row.Fleet));
            return new CircuitRow { State = row.State, FailureCount = row.FailureCount, LastFailureMs = row.LastFailureMs, LastSuccessMs = row.LastSuccessMs, Fleet = "marked" };
        }
    }
}
