using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>
/// Schema version 1 → 2 on a file the previous release wrote (Fixtures/schema-v1.db): the new columns are added in
/// one transaction on connect, every row survives, and the file is left alone where the migration is not allowed.
/// </summary>
public sealed class SchemaMigrationTests : IDisposable
{
    // The fixture was written at 2026-11-26T01:05:42Z; its cache entries live for 10 s from then.
    private static readonly DateTimeOffset Written = new(2026, 11, 26, 1, 5, 45, TimeSpan.Zero);

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
            Assert.Equal(2, (await p.Admin.GetStatsAsync(Ct)).SchemaVersion);
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
            Assert.Equal("2", raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
            Assert.Equal("2", raw.Scalar("SELECT count(*) FROM pragma_table_info('go_goscope_cache') WHERE name IN ('sliding_ms', 'absolute_expires_at')"));
            Assert.Equal("40", raw.Scalar("SELECT count(*) FROM go_goscope_cache"));
            Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
        }
    }

    [Fact]
    public async Task Version1File_WithCreateTablesOff_IsRefused_AndLeftByteIdentical()
    {
        var before = await File.ReadAllBytesAsync(_path, Ct);
        var e = await Assert.ThrowsAsync<PersistenceException>(async () =>
            await SqliteAdapter.OpenAsync(_path, new PersistenceAdapterOptions { CreateTables = false }));
        Assert.Equal(PersistenceErrorKind.SchemaMissing, e.Kind);
        Assert.Contains("schema version 1 must be migrated to 2", e.Message, StringComparison.Ordinal);
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
        Assert.Equal("2", raw.Scalar("SELECT value FROM go_goscope_meta WHERE key = 'schema_version'"));
    }
}
