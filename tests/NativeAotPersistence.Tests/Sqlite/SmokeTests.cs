namespace NativeAotPersistence.Tests.Sqlite;

public class SmokeTests
{
    [Fact]
    public async Task OpenAsync_CreatesFile()
    {
        using var dir = new TempDirectory();
        await using var adapter = await SqliteAdapter.OpenAsync(dir.File("a.db"));
        Assert.True(adapter.IsConnected);
        Assert.True(File.Exists(dir.File("a.db")));
    }
}
