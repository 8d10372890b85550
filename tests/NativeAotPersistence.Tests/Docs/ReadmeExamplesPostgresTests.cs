using Microsoft.Extensions.Time.Testing;
using NativeAotPersistence.Tests.PostgreSql;

namespace NativeAotPersistence.Tests.Docs;

/// <summary>
/// The docs' provider and helper examples on PostgreSQL, and the one line that moves a store there: the whole change
/// a fleet makes when it outgrows one machine.
/// </summary>
public sealed class ReadmeExamplesPostgresTests
{
    [Fact]
    public async Task Providers_OnPostgres()
    {
        await using var p = await PostgresAdapter.OpenAsync(await PostgresServer.CreateSchemaAsync(), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default });
        await DocExamplesTests.ProvidersAsync(p);
    }

    [Fact]
    public async Task Helpers_OnPostgres()
    {
        await using var p = await PostgresAdapter.OpenAsync(await PostgresServer.CreateSchemaAsync(), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default });
        await DocExamplesTests.HelpersAsync(p);
    }

    [Fact]
    public async Task RateLimits_OnPostgres()
    {
        var time = new FakeTimeProvider();
        await using var p = await PostgresAdapter.OpenAsync(await PostgresServer.CreateSchemaAsync(), new PersistenceAdapterOptions { TimeProvider = time });
        await DocExamplesTests.RateLimitsAsync(p, time);
    }

    [Fact]
    public async Task ScalingOut_IsOneLine()
    {
        using var dir = new TempDirectory();
        var path = dir.File("app.db");
        var connectionString = await PostgresServer.CreateSchemaAsync();
        var options = new PersistenceAdapterOptions { KeyPrefix = "myapp:", Payloads = ReadmePayloads.Default };

        // snippet: ScalingOut
        await using var store = await SqliteAdapter.OpenAsync(path, options);                  // one machine
        await using var fleet = await PostgresAdapter.OpenAsync(connectionString, options);    // a fleet
        // end snippet

        foreach (IPersistenceAdapter adapter in new IPersistenceAdapter[] { store, fleet })
        {
            await DocExamplesTests.ProvidersAsync(adapter);
        }
    }
}
