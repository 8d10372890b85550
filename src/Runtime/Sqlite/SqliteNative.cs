using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>Process-wide SQLite set-up and connection opening.</summary>
internal static class SqliteNative
{
    private static readonly Lazy<bool> s_initialized = new(() =>
    {
        Batteries_V2.Init();
        return true;
    });

    public static void EnsureInitialized() => _ = s_initialized.Value;

    public static SqliteConnection Open(string dataSource, int flags, string operation)
    {
        var rc = sqlite3_open_v2(dataSource, out var handle, flags | SQLITE_OPEN_NOMUTEX, null);
        if (rc != SQLITE_OK)
        {
            try
            {
                SqliteErrors.Throw(rc, handle, operation, dataSource);
            }
            finally
            {
                handle?.Dispose();
            }
        }

        // The library waits for a busy database itself, asynchronously; SQLite must never block a thread for it.
        sqlite3_busy_timeout(handle, 0);
        return new SqliteConnection(handle, ownsHandle: true, dataSource);
    }

    /// <summary>Gets the file name of a handle's main database, or <c>:memory:</c>.</summary>
    public static string DataSourceOf(sqlite3 handle)
    {
        var name = sqlite3_db_filename(handle, "main").utf8_to_string();
        return string.IsNullOrEmpty(name) ? ":memory:" : name;
    }

    /// <summary>
    /// Creates an empty database file readable and writable by its owner only (0600), so SQLite (which gives the
    /// -wal and -shm files the database file's mode) never exposes data to other users.
    /// </summary>
    public static void CreateOwnerOnlyFile(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }

        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException)
        {
            // Created by someone else meanwhile, or the directory is missing: SQLite's open reports the latter.
        }
        catch (UnauthorizedAccessException)
        {
            // SQLite's open reports it with the path and the cause.
        }
    }
}
