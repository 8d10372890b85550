using Npgsql;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>Opening a PostgreSQL database: schema versions, missing tables, concurrent creation, and what a bad login gives.</summary>
public sealed class OpeningTests
{
    private static readonly string[] s_objects =
    [
        "go_goscope_meta", "go_goscope_cache", "go_goscope_circuit", "go_goscope_checkpoints", "go_goscope_idempotency",
        "go_goscope_locks", "go_goscope_lock_fencing", "go_goscope_semaphores", "go_goscope_ratelimits",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }

    /// <summary>Everything in the schema (tables, indexes, sequences with their kind) and the meta rows, as one text.</summary>
    private static async Task<string> SnapshotAsync(string connectionString) =>
        (string)(await ScalarAsync(connectionString, """
            SELECT coalesce((SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class
                             WHERE relnamespace = current_schema()::regnamespace), '')
                || ' | ' ||
                   coalesce((SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM go_goscope_meta), '')
            """))!;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANewerSchemaVersion_IsRefusedWithSchemaTooNew_AndLeftUntouched(bool complete)
    {
        var connectionString = await PostgresServer.CreateSchemaAsync();
        if (complete)
        {
            // A whole schema written by a newer version (here: ours, with its version raised).
            await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
            await ScalarAsync(connectionString, "UPDATE go_goscope_meta SET value = '7' WHERE key = 'schema_version'");
        }
        else
        {
            // Only the meta table: a newer version that may lay its tables out differently must not get ours added.
            await ScalarAsync(connectionString, "CREATE TABLE go_goscope_meta(key text PRIMARY KEY, value text NOT NULL); INSERT INTO go_goscope_meta VALUES ('schema_version', '7')");
        }

        var before = await SnapshotAsync(connectionString);
        Assert.Contains("schema_version=7", before, StringComparison.Ordinal);

        foreach (var createTables in (bool[])[true, false])
        {
            var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
                await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { CreateTables = createTables }, Ct));
            Assert.Equal(PersistenceErrorKind.SchemaTooNew, e.Kind);
            Assert.Contains("schema version 7", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, await SnapshotAsync(connectionString));
    }

    [Fact]
    public async Task CreateTablesFalse_OnAnEmptySchema_FailsWithSchemaMissing_NamingEveryMissingObject()
    {
        var connectionString = await PostgresServer.CreateSchemaAsync();

        var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { CreateTables = false }, Ct));

        Assert.Equal(PersistenceErrorKind.SchemaMissing, e.Kind);
        Assert.All(s_objects, o => Assert.Contains(o, e.Message, StringComparison.Ordinal));
        Assert.Contains("CreateTables", e.Message, StringComparison.Ordinal);

        // Nothing was created.
        Assert.Equal(0L, await ScalarAsync(connectionString, "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace"));
    }

    [Fact]
    public async Task CreateTablesFalse_WithOneTableDropped_NamesJustThatOne()
    {
        var connectionString = await PostgresServer.CreateSchemaAsync();
        await (await PostgresAdapter.OpenAsync(connectionString)).DisposeAsync();
        await ScalarAsync(connectionString, "DROP TABLE go_goscope_locks");

        var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await PostgresAdapter.OpenAsync(connectionString, new PersistenceAdapterOptions { CreateTables = false }, Ct));

        Assert.Equal(PersistenceErrorKind.SchemaMissing, e.Kind);
        Assert.Contains("go_goscope_locks", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("go_goscope_cache", e.Message, StringComparison.Ordinal);

        // With creation on, the missing table comes back.
        await using var adapter = await PostgresAdapter.OpenAsync(connectionString, cancellationToken: Ct);
        await using var handle = await adapter.Locks.AcquireAsync("k", TimeSpan.FromSeconds(30), cancellationToken: Ct);
        Assert.NotNull(handle);
    }

    [Fact]
    public async Task AdaptersConnectingAtOnceToAnEmptySchema_AllSucceed()
    {
        const int rounds = 5;
        const int adapters = 8;
        for (var round = 0; round < rounds; round++)
        {
            var connectionString = await PostgresServer.CreateSchemaAsync();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var opening = Enumerable.Range(0, adapters).Select(async _ =>
            {
                await go.Task;
                return await PostgresAdapter.OpenAsync(connectionString, cancellationToken: Ct);
            }).ToArray();
            go.SetResult();

            var opened = await Task.WhenAll(opening);
            try
            {
                // One schema came out of it, at version 1, that every adapter uses.
                for (var i = 0; i < opened.Length; i++)
                {
                    Assert.Equal(i + 1, await opened[i].CircuitBreakers.RecordFailureAsync("k", 100, Ct));
                }

                Assert.Equal(SchemaRules.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), await ScalarAsync(connectionString, "SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
                Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM go_goscope_meta"));
            }
            finally
            {
                foreach (var adapter in opened)
                {
                    await adapter.DisposeAsync();
                }
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("NoSuchKeyword=1")]
    [InlineData("Host=127.0.0.1;Port=not-a-port")]
    [InlineData("Host=127.0.0.1;Pooling=maybe")]
    public async Task AMalformedConnectionString_IsAnArgumentException(string connectionString)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await PostgresAdapter.OpenAsync(connectionString, cancellationToken: Ct));
    }

    [Fact]
    public async Task AWrongPassword_IsCannotOpen_AndTheRightOneConnects()
    {
        var server = await PostgresServer.RequireAsync();
        var schema = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateSchemaAsync()).SearchPath!;
        await ScalarAsync(server.ConnectionString, $"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PostgresServer.PasswordUser}') THEN
                CREATE ROLE {PostgresServer.PasswordUser} LOGIN PASSWORD 'right-password';
              END IF;
            END $$;
            GRANT ALL ON SCHEMA {schema} TO {PostgresServer.PasswordUser};
            """);
        var login = new NpgsqlConnectionStringBuilder(server.ConnectionString)
        {
            Username = PostgresServer.PasswordUser,
            Password = "wrong-password",
            SearchPath = schema,
        };

        var e = await Assert.ThrowsAsync<PersistenceException>(async () => await PostgresAdapter.OpenAsync(login.ConnectionString, cancellationToken: Ct));
        Assert.Equal(PersistenceErrorKind.CannotOpen, e.Kind);
        Assert.Equal("28P01", e.SqlState);
        Assert.DoesNotContain("wrong-password", e.Message, StringComparison.Ordinal);

        login.Password = "right-password";
        await using var adapter = await PostgresAdapter.OpenAsync(login.ConnectionString, cancellationToken: Ct);
        await adapter.Cache.SetAsync("k", 1, cancellationToken: Ct);
    }

    [Fact]
    public async Task AnUnknownDatabase_IsCannotOpen()
    {
        var login = new NpgsqlConnectionStringBuilder(await PostgresServer.ConnectionStringAsync()) { Database = "nap_no_such_database" };

        var e = await Assert.ThrowsAsync<PersistenceException>(async () => await PostgresAdapter.OpenAsync(login.ConnectionString, cancellationToken: Ct));

        Assert.Equal(PersistenceErrorKind.CannotOpen, e.Kind);
        Assert.Equal("3D000", e.SqlState);
        Assert.Contains("nap_no_such_database", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownRole_IsCannotOpen()
    {
        var login = new NpgsqlConnectionStringBuilder(await PostgresServer.ConnectionStringAsync()) { Username = "nap_no_such_role" };

        var e = await Assert.ThrowsAsync<PersistenceException>(async () => await PostgresAdapter.OpenAsync(login.ConnectionString, cancellationToken: Ct));

        Assert.Equal(PersistenceErrorKind.CannotOpen, e.Kind);
        Assert.StartsWith("28", e.SqlState, StringComparison.Ordinal);
    }
}
