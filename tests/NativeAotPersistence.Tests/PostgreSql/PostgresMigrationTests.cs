using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// Schema migrations on PostgreSQL: version 1 tables (as the first PostgreSQL release wrote them) gain the sliding-expiry
/// columns, version 2 lock tables the holder columns, and version 3 circuit tables the fleet column, on connect.
/// </summary>
public sealed class PostgresMigrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Version1Schema_IsMigratedOnConnect_AndKeepsItsRows()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        await using (var source = NpgsqlDataSource.Create(cs))
        {
            // The version 1 objects, then one row, as version 1 wrote them.
            await using var command = source.CreateCommand("""
                CREATE TABLE go_goscope_meta (key text PRIMARY KEY, value text NOT NULL);
                CREATE TABLE go_goscope_cache (key bytea PRIMARY KEY, value text NOT NULL, expires_at bigint, created_at bigint);
                CREATE TABLE go_goscope_circuit (key bytea PRIMARY KEY, state text NOT NULL, failure_count bigint NOT NULL DEFAULT 0,
                  last_failure_time bigint, last_success_time bigint, updated_at bigint NOT NULL);
                CREATE TABLE go_goscope_checkpoints (id bytea PRIMARY KEY, task_id bytea NOT NULL, sequence bigint NOT NULL, timestamp bigint NOT NULL,
                  progress integer NOT NULL DEFAULT 0, data text NOT NULL, estimated_time_remaining bigint, created_at bigint);
                CREATE TABLE go_goscope_idempotency (key bytea PRIMARY KEY, value text NOT NULL, expires_at bigint, created_at bigint, updated_at bigint);
                CREATE TABLE go_goscope_locks (key bytea PRIMARY KEY, owner bytea NOT NULL, expires_at bigint NOT NULL, fencing_token bigint NOT NULL);
                CREATE SEQUENCE go_goscope_lock_fencing;
                INSERT INTO go_goscope_meta VALUES ('schema_version', '1');
                INSERT INTO go_goscope_cache VALUES (convert_to('app:cache:old', 'UTF8'), '"kept"', NULL, 0);
                """);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(cs, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, refused.Kind);
        Assert.Contains($"schema version 1 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);

        await using (var p = await PostgresAdapter.OpenAsync(cs, new PersistenceAdapterOptions { KeyPrefix = "app:" }))
        {
            Assert.Equal("kept", await p.Cache.GetAsync<string>("old", Ct));
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            await p.Cache.SetAsync("new", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct);
            Assert.Equal(1, await p.Cache.GetAsync<int>("new", Ct));
        }

        await using (var source = NpgsqlDataSource.Create(cs))
        {
            await using var command = source.CreateCommand(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'go_goscope_cache' AND column_name IN ('sliding_ms', 'absolute_expires_at')");
            Assert.Equal(2L, await command.ExecuteScalarAsync(Ct));
            Assert.Equal(1L, await ColumnsAsync(source, "go_goscope_circuit", "fleet"));
        }
    }

    [Fact]
    public async Task Version2Locks_GainTheHolderColumns_AndTheirRowsAreJudgedByTheirTtl()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        var far = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds();
        await (await PostgresAdapter.OpenAsync(cs)).DisposeAsync();
        await using (var source = NpgsqlDataSource.Create(cs))
        {
            // A version 2 database: no holder columns (nor the fleet column of version 4), and a lock a version 2 process holds.
            await using var command = source.CreateCommand($"""
                ALTER TABLE go_goscope_locks DROP COLUMN holder_host, DROP COLUMN holder_pid, DROP COLUMN holder_start;
                ALTER TABLE go_goscope_circuit DROP COLUMN fleet;
                UPDATE go_goscope_meta SET value = '2' WHERE key = 'schema_version';
                INSERT INTO go_goscope_locks VALUES (convert_to('lock:job', 'UTF8'), convert_to('legacy', 'UTF8'), {far}, 7);
                """);
            await command.ExecuteNonQueryAsync(Ct);
        }

        await using (var p = await PostgresAdapter.OpenAsync(cs))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            var info = await p.Locks.GetInfoAsync("job", Ct);
            Assert.Equal(("legacy", 7L, (LockHolder?)null), (info!.Owner, info.FencingToken, info.Holder));
            Assert.Null(await p.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), "next", Ct));
            await using var other = await p.Locks.AcquireAsync("other", TimeSpan.FromMinutes(1), "next", Ct);
            Assert.Equal(Environment.ProcessId, (await p.Locks.GetInfoAsync("other", Ct))!.Holder!.ProcessId);
        }

        await using (var source = NpgsqlDataSource.Create(cs))
        {
            await using var command = source.CreateCommand(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'go_goscope_locks' AND column_name LIKE 'holder_%'");
            Assert.Equal(3L, await command.ExecuteScalarAsync(Ct));
            Assert.Equal(1L, await ColumnsAsync(source, "go_goscope_circuit", "fleet"));
        }
    }

    [Fact]
    public async Task Version4Cache_GainsTags_AndKeepsItsEntries()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(cs)).DisposeAsync();
        await using (var source = NpgsqlDataSource.Create(cs))
        {
            // A version 4 database: no tags column (nor its index), and an entry a version 4 process wrote.
            await using var command = source.CreateCommand("""
                DROP INDEX go_goscope_cache_tags;
                ALTER TABLE go_goscope_cache DROP COLUMN tags, DROP COLUMN fresh_until;
                UPDATE go_goscope_meta SET value = '4' WHERE key = 'schema_version';
                INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (convert_to('cache:old', 'UTF8'), '1', NULL, 1764100000000);
                """);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(cs, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, refused.Kind);
        Assert.Contains($"schema version 4 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);

        await using (var p = await PostgresAdapter.OpenAsync(cs))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Equal(1, await p.Cache.GetAsync<int>("old", Ct));
            await p.Cache.SetAsync("new", 2, new CacheEntryOptions { Tags = ["t"] }, Ct);
            await p.Cache.SetAsync("old", 3, new CacheEntryOptions { Tags = ["t", "u"] }, Ct);
            Assert.Equal(2, await p.Cache.RemoveByTagAsync("t", Ct));
            Assert.Empty(await p.Cache.KeysAsync(cancellationToken: Ct));
        }

        await using (var source = NpgsqlDataSource.Create(cs))
        {
            Assert.Equal(1L, await ColumnsAsync(source, "go_goscope_cache", "tags"));
        }
    }

    [Fact]
    public async Task Version5Cache_GainsFailSafeRows_AndKeepsItsEntries()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        var far = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        await (await PostgresAdapter.OpenAsync(cs)).DisposeAsync();
        await using (var source = NpgsqlDataSource.Create(cs))
        {
            // A version 5 database: no fresh_until column, and entries a version 5 process wrote.
            await using var command = source.CreateCommand($"""
                ALTER TABLE go_goscope_cache DROP COLUMN fresh_until;
                UPDATE go_goscope_meta SET value = '5' WHERE key = 'schema_version';
                INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (convert_to('cache:old', 'UTF8'), '1', {far}, 1764100000000);
                INSERT INTO go_goscope_cache(key, value, expires_at, created_at) VALUES (convert_to('cache:gone', 'UTF8'), '2', 1764100000001, 1764100000000);
                """);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(cs, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Contains($"schema version 5 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);

        await using (var p = await PostgresAdapter.OpenAsync(cs))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Equal(1, await p.Cache.GetAsync<int>("old", Ct));
            Assert.False(await p.Cache.HasAsync("gone", Ct));
            Assert.Equal(["old"], await p.Cache.KeysAsync(cancellationToken: Ct));
            await p.Cache.SetAsync("kept", 3, new CacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1), FailSafeMaxDuration = TimeSpan.FromHours(1) }, Ct);
            Assert.Equal(3, await p.Cache.GetAsync<int>("kept", Ct));
        }

        await using (var source = NpgsqlDataSource.Create(cs))
        {
            Assert.Equal(1L, await ColumnsAsync(source, "go_goscope_cache", "fresh_until"));
        }
    }

    [Fact]
    public async Task Version3Circuits_GainTheFleetColumn_AndKeepTheirRows()
    {
        var cs = await PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(cs)).DisposeAsync();
        await using (var source = NpgsqlDataSource.Create(cs))
        {
            // A version 3 database: no fleet column, and circuits a version 3 process wrote.
            await using var command = source.CreateCommand("""
                ALTER TABLE go_goscope_circuit DROP COLUMN fleet;
                UPDATE go_goscope_meta SET value = '3' WHERE key = 'schema_version';
                INSERT INTO go_goscope_circuit VALUES (convert_to('circuit:payments', 'UTF8'), 'open', 5, 1764100000000, NULL, 1764100000001);
                INSERT INTO go_goscope_circuit VALUES (convert_to('circuit:search', 'UTF8'), 'closed', 0, NULL, 1764100000002, 1764100000002);
                """);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var refused = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(cs, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, refused.Kind);
        Assert.Contains($"schema version 3 must be migrated to {SchemaRules.CurrentVersion}", refused.Message, StringComparison.Ordinal);

        await using (var p = await PostgresAdapter.OpenAsync(cs))
        {
            Assert.Equal(SchemaRules.CurrentVersion, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Equal(
                new CircuitBreakerPersistedState(CircuitState.Open, 5, DateTimeOffset.FromUnixTimeMilliseconds(1764100000000)),
                await p.CircuitBreakers.GetStateAsync("payments", Ct));
            Assert.Equal(2, (await p.Admin.ListCircuitsAsync(Ct)).Count);

            var store = Assert.IsAssignableFrom<ICircuitStore>(p.CircuitBreakers);
            var seen = new List<string?>();
            await store.UpdateAsync("payments", new FleetMark(seen), Ct);
            await store.UpdateAsync("payments", new FleetMark(seen), Ct);
            Assert.Equal([null, "marked"], seen);
            Assert.Equal(5, (await p.CircuitBreakers.GetStateAsync("payments", Ct))!.FailureCount);
        }

        await using (var source = NpgsqlDataSource.Create(cs))
        {
            Assert.Equal(1L, await ColumnsAsync(source, "go_goscope_circuit", "fleet"));
            await using var command = source.CreateCommand(
                "SELECT count(*) FROM go_goscope_circuit WHERE key = convert_to('circuit:search', 'UTF8') AND fleet IS NULL AND last_success_time = 1764100000002");
            Assert.Equal(1L, await command.ExecuteScalarAsync(Ct));
        }
    }

    private static async Task<object?> ColumnsAsync(NpgsqlDataSource source, string table, string column)
    {
        await using var command = source.CreateCommand(
            $"SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}'");
        return await command.ExecuteScalarAsync(Ct);
    }

    /// <summary>Records the fleet text it was given and stores the row with the fleet text <c>marked</c>.</summary>
    private sealed class FleetMark(List<string?> seen) : CircuitRule
    {
        public override CircuitRow? Apply(CircuitRow? stored, long nowMs)
        {
            var row = stored!;
            seen.Add(row.Fleet);
            return new CircuitRow { State = row.State, FailureCount = row.FailureCount, LastFailureMs = row.LastFailureMs, LastSuccessMs = row.LastSuccessMs, Fleet = "marked" };
        }
    }
}
