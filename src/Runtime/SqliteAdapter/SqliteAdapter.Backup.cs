using NativeAotPersistence.Sqlite;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence;

public sealed partial class SqliteAdapter
{
    private const int BackupPagesPerStep = 256;

    /// <summary>
    /// Writes a consistent copy of the database to <paramref name="destinationPath"/> with SQLite's online backup API,
    /// a few pages at a time, while the adapter keeps working (writes wait only for one step at a time).
    /// </summary>
    /// <param name="destinationPath">The copy's path; an existing file there is replaced.</param>
    /// <param name="cancellationToken">Stops the copy between steps; the partial copy is left behind.</param>
    /// <exception cref="PersistenceException">The destination cannot be written.</exception>
    public async ValueTask BackupAsync(string destinationPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var pool = Pool;
        var target = Path.GetFullPath(destinationPath);
        SqliteNative.EnsureInitialized();
        SqliteNative.CreateOwnerOnlyFile(target, "backup");
        using var destination = SqliteNative.Open(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "backup");
        var backup = await StartBackupAsync(pool, destination, cancellationToken).ConfigureAwait(false);

        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rc = await StepBackupAsync(pool, (backup, destination), cancellationToken).ConfigureAwait(false);

                if (rc == SQLITE_DONE)
                {
                    break;
                }

                await Task.Yield();
            }
        }
        finally
        {
            await FinishBackupAsync(pool, backup, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static unsafe ValueTask<sqlite3_backup> StartBackupAsync(SqliteConnectionPool pool, SqliteConnection destination, CancellationToken cancellationToken) =>
        pool.WriteAsync("backup", destination, &StartBackupBody, cancellationToken);

    private static sqlite3_backup StartBackupBody(SqliteConnection c, SqliteConnection d)
    {
        var b = sqlite3_backup_init(d.Handle, "main", c.Handle, "main");
        if (b is null)
        {
            SqliteErrors.Throw(sqlite3_errcode(d.Handle), d.Handle, "backup", d.DataSource);
        }

        return b!;
    }

    private static unsafe ValueTask<int> StepBackupAsync(SqliteConnectionPool pool, (sqlite3_backup backup, SqliteConnection destination) state, CancellationToken cancellationToken) =>
        pool.WriteAsync("backup", state, &StepBackupBody, cancellationToken);

    private static int StepBackupBody(SqliteConnection c, (sqlite3_backup backup, SqliteConnection destination) s)
    {
        var rc = sqlite3_backup_step(s.backup, BackupPagesPerStep);
        if (rc is not (SQLITE_OK or SQLITE_DONE or SQLITE_BUSY or SQLITE_LOCKED))
        {
            SqliteErrors.Throw(rc, s.destination.Handle, "backup", s.destination.DataSource);
        }

        return rc;
    }

    private static unsafe ValueTask<int> FinishBackupAsync(SqliteConnectionPool pool, sqlite3_backup backup, CancellationToken cancellationToken) =>
        pool.WriteAsync("backup", backup, &FinishBackupBody, cancellationToken);

    private static int FinishBackupBody(SqliteConnection _, sqlite3_backup b) => sqlite3_backup_finish(b);
}
