namespace NativeAotPersistence.Tests.Sqlite;

public class BrokenFileTests
{
    [Fact]
    public async Task AFullDatabase_FailsTheWriteWithKindFull_AndKeepsEarlierData()
    {
        using var dir = new TempDirectory();
        using var raw = new RawSqlite(dir.File("full.db"));
        await using var adapter = new SqliteAdapter(raw.Handle);
        await adapter.ConnectAsync();
        await adapter.Cache.SetAsync("early", "kept");

        var pages = raw.Count("PRAGMA page_count");
        raw.Exec($"PRAGMA max_page_count = {pages + 2}");
        var big = new string('x', 64 * 1024);

        var error = await Assert.ThrowsAsync<PersistenceException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await adapter.Cache.SetAsync("big" + i, big);
            }
        });

        Assert.Equal(PersistenceErrorKind.Full, error.Kind);
        Assert.Equal("cache.set", error.Operation);
        Assert.Contains("full", error.Message, StringComparison.Ordinal);
        Assert.Equal("kept", await adapter.Cache.GetAsync<string>("early"));
        Assert.Equal("ok", raw.Scalar("PRAGMA integrity_check"));
    }

    [Fact]
    public async Task ADatabaseWithGarbageOverItsPages_IsAClearErrorNamingThePath()
    {
        using var dir = new TempDirectory();
        var path = dir.File("garbage.db");
        await using (var adapter = await SqliteAdapter.OpenAsync(path))
        {
            for (var i = 0; i < 200; i++)
            {
                await adapter.Cache.SetAsync("key" + i, new string('v', 200));
            }
        }

        // Keep the 100-byte header, overwrite the rest of the first pages (the schema lives on page 1).
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = 100;
            var garbage = new byte[8192];
            new Random(42).NextBytes(garbage);
            await file.WriteAsync(garbage, TestContext.Current.CancellationToken);
        }

        var error = await Assert.ThrowsAsync<PersistenceException>(async () =>
        {
            await using var adapter = await SqliteAdapter.OpenAsync(path);
            await adapter.Cache.GetAsync<string>("key1");
        });

        Assert.True(error.Kind is PersistenceErrorKind.Corrupt or PersistenceErrorKind.NotADatabase, error.Kind.ToString());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
