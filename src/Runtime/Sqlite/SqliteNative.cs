using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>Process-wide SQLite set-up and connection opening.</summary>
internal static class SqliteNative
{
    private static readonly Lazy<bool> s_initialized = new(() =>
    {
        try
        {
            // Loads the native library (SetProvider asks it for its version).
            Batteries_V2.Init();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw NativeLibraryMissing(e);
        }

        return true;
    });

    /// <summary>Loads SQLite once per process; a native library that cannot be loaded is a <see cref="PersistenceErrorKind.CannotOpen"/> error.</summary>
    public static void EnsureInitialized() => _ = s_initialized.Value;

    private static PersistenceException NativeLibraryMissing(Exception e)
    {
        var file = OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so";
        return new PersistenceException(
            $"SQLite's native library ({file}) could not be loaded, so no database can be opened. Ship {file} beside the " +
            "application (a `dotnet publish` puts it there), or publish one file with SQLite linked in (see the README). " +
            $"The loader said: {e.Message}",
            PersistenceErrorKind.CannotOpen,
            "connect",
            innerException: e);
    }

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
    /// -wal and -shm files the database file's mode) never exposes data to other users. A path that is a symbolic link
    /// (dangling or not) is followed: the file is created owner-only at the link's final target. An existing file is
    /// left as it is (a caller who wants other permissions creates the file first).
    /// </summary>
    /// <exception cref="PersistenceException">The link cannot be followed (a loop), or the file cannot be created.</exception>
    public static void CreateOwnerOnlyFile(string path, string operation = "connect")
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var target = FinalTarget(path, operation);
        if (File.Exists(target) || Directory.Exists(target))
        {
            // A directory is SQLite's to refuse, with the path and the cause.
            return;
        }

        try
        {
            using var _ = new FileStream(target, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(target))
            {
                // Created by someone else meanwhile: theirs to have given a mode.
                return;
            }

            // Never let SQLite create it instead: it would, with the umask's mode (0644 as a rule).
            throw new PersistenceException(
                $"The database file '{target}'{(target == path ? "" : $" (the target of the link '{path}')")} could not be created owner-only (0600): {e.Message} " +
                "Check that its directory exists and that this user may create files in it.",
                e is UnauthorizedAccessException ? PersistenceErrorKind.ReadOnly : PersistenceErrorKind.CannotOpen,
                operation,
                path,
                innerException: e);
        }
    }

    /// <summary>Follows a chain of symbolic links at <paramref name="path"/> (the last component) to the path it ends at.</summary>
    private static string FinalTarget(string path, string operation)
    {
        var current = Path.GetFullPath(path);
        for (var hops = 0; hops < 40; hops++)
        {
            string? link;
            try
            {
                link = new FileInfo(current).LinkTarget;
            }
            catch (IOException)
            {
                return current;
            }

            if (link is null)
            {
                return current;
            }

            current = Path.GetFullPath(link, Path.GetDirectoryName(current)!);
        }

        throw new PersistenceException(
            $"The database path '{path}' is a symbolic link that leads through more than 40 links (a loop?); point it at a file.",
            PersistenceErrorKind.CannotOpen,
            operation,
            path);
    }
}
