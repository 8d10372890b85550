using NativeAotPersistence.Tests.PostgreSql;

namespace NativeAotPersistence.Tests.Docs;

/// <summary>
/// The README's examples on PostgreSQL: the same code after the one line that opens the adapter, which is the whole
/// change a fleet makes when it outgrows one machine.
/// </summary>
public sealed class ReadmeExamplesPostgresTests
{
    [Fact]
    public async Task QuickStart()
    {
        await using var p = await PostgresAdapter.OpenAsync(await PostgresServer.CreateSchemaAsync(), new PersistenceAdapterOptions
        {
            KeyPrefix = "myapp:",
            Payloads = ReadmePayloads.Default,
        });
        await ReadmeExamplesTests.QuickStartAsync(p);
    }

    [Fact]
    public async Task Helpers()
    {
        await using var p = await PostgresAdapter.OpenAsync(
            await PostgresServer.CreateSchemaAsync(), new PersistenceAdapterOptions { Payloads = ReadmePayloads.Default, LockScope = LockScope.Database });
        await ReadmeExamplesTests.HelpersAsync(p);
    }
}
