namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>What a user sees who ships the application without SQLite's native library.</summary>
public sealed class NativeLibraryTests
{
    [Fact]
    public async Task AMissingNativeLibrary_IsATypedError_NamingTheFileAndTheFix_NotACrash()
    {
        Assert.SkipWhen(!OperatingSystem.IsLinux(), "The copy without the library is laid out for Linux.");
        using var dir = new TempDirectory();
        var (exitCode, lines, error) = await ChildProcess.RunTestHostWithoutSqliteAsync(["get-then-set", dir.File("app.db"), "k", "v"]);

        // Before: an unhandled DllNotFoundException and exit code 134.
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        var line = lines[0]; // the loader's own message follows, over several lines
        Assert.StartsWith("ERR CannotOpen SQLite's native library (libe_sqlite3.so) could not be loaded", line, StringComparison.Ordinal);
        Assert.Contains("Ship libe_sqlite3.so beside the application", line, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("app.db")));
    }
}
