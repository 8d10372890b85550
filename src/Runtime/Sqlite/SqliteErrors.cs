using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>The one path from a SQLite result code to a typed <see cref="PersistenceException"/>.</summary>
internal static class SqliteErrors
{
    /// <summary>Throws for any result code other than OK, ROW and DONE; returns <paramref name="rc"/> otherwise.</summary>
    // Inlined: it runs after every native call on the hot paths (three per cache get), and the failure path is a call.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Check(int rc, sqlite3 db, string operation, string dataSource)
    {
        if (rc is SQLITE_OK or SQLITE_ROW or SQLITE_DONE)
        {
            return rc;
        }

        Throw(rc, db, operation, dataSource);
        return rc;
    }

    [DoesNotReturn]
    public static void Throw(int rc, sqlite3? db, string operation, string dataSource)
    {
        var extended = db is null || db.IsInvalid ? rc : sqlite3_extended_errcode(db);
        if ((extended & 0xFF) != (rc & 0xFF))
        {
            extended = rc;
        }

        var detail = db is null || db.IsInvalid ? sqlite3_errstr(rc).utf8_to_string() : sqlite3_errmsg(db).utf8_to_string();
        throw Create(extended, detail, operation, dataSource);
    }

    public static Exception Create(int extendedCode, string? detail, string operation, string dataSource)
    {
        var primary = extendedCode & 0xFF;
        if (primary is SQLITE_BUSY or SQLITE_LOCKED)
        {
            return new SqliteBusyException(extendedCode, detail);
        }

        var kind = KindOf(primary);
        var message = Describe(kind, extendedCode, detail, operation, dataSource);
        return new PersistenceException(message, kind, operation, dataSource, extendedCode);
    }

    public static PersistenceException BusyTimeout(SqliteBusyException busy, TimeSpan waited, string operation, string dataSource) =>
        new(
            $"The database '{dataSource}' stayed busy (locked by another connection or process) for {waited.TotalSeconds:0.###} s " +
            $"during '{operation}', longer than PersistenceAdapterOptions.BusyTimeout allows ({busy.Detail}).",
            PersistenceErrorKind.Busy,
            operation,
            dataSource,
            busy.ExtendedCode,
            innerException: busy);

    public static PersistenceErrorKind KindOf(int primary) => primary switch
    {
        SQLITE_BUSY or SQLITE_LOCKED => PersistenceErrorKind.Busy,
        SQLITE_CORRUPT => PersistenceErrorKind.Corrupt,
        SQLITE_NOTADB => PersistenceErrorKind.NotADatabase,
        SQLITE_READONLY or SQLITE_PERM => PersistenceErrorKind.ReadOnly,
        SQLITE_FULL => PersistenceErrorKind.Full,
        SQLITE_CANTOPEN => PersistenceErrorKind.CannotOpen,
        SQLITE_CONSTRAINT => PersistenceErrorKind.Constraint,
        SQLITE_IOERR => PersistenceErrorKind.Io,
        _ => PersistenceErrorKind.Other,
    };

    private static string Describe(PersistenceErrorKind kind, int code, string? detail, string operation, string dataSource)
    {
        var cause = kind switch
        {
            PersistenceErrorKind.NotADatabase => $"The file '{dataSource}' is not a SQLite database",
            PersistenceErrorKind.Corrupt => $"The database file '{dataSource}' is corrupt (damaged pages or a broken header); restore it from a backup or delete it",
            PersistenceErrorKind.ReadOnly => ReadOnlyCause(code, dataSource),
            PersistenceErrorKind.Full => $"The database '{dataSource}' is full: the disk has no free space or the database reached its size limit; earlier data is intact",
            PersistenceErrorKind.CannotOpen when Directory.Exists(dataSource) => $"'{dataSource}' is a directory, not a database file: give the path of a file (it is created if missing)",
            PersistenceErrorKind.CannotOpen => $"The database file '{dataSource}' cannot be opened or created: check that its directory exists and that this process may read and write it",
            PersistenceErrorKind.Io => $"The operating system reported an I/O error on '{dataSource}'",
            PersistenceErrorKind.Constraint => $"A constraint of the schema in '{dataSource}' was violated",
            _ => $"SQLite failed on '{dataSource}'",
        };
        return $"{cause} (during '{operation}': {detail}; SQLite code {code}).";
    }

    private static string ReadOnlyCause(int code, string dataSource)
    {
        // SQLITE_READONLY_CANTINIT (5<<8) and SQLITE_READONLY_DIRECTORY (6<<8): WAL needs to create the -shm and -wal files.
        var sub = code >> 8;
        if (sub is 5 or 6)
        {
            var directory = Path.GetDirectoryName(dataSource);
            return $"The database '{dataSource}' cannot be used: it is in WAL mode, which needs its -wal and -shm files beside it, they do not exist, and its directory '{directory}' is not writable by this process to create them. A read-only open (SqliteOpenOptions.ReadOnly) can read it while those files exist and are readable (a writer has it open), or read a copy of it";
        }

        return $"The database '{dataSource}' is read-only: it was opened read-only (SqliteOpenOptions.ReadOnly), or the file (or its directory) cannot be written by this process";
    }
}
