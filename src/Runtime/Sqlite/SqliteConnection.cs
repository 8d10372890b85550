using System.Runtime.CompilerServices;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// One SQLite connection with its prepared-statement cache. Used by one caller at a time: whoever holds
/// <see cref="Gate"/>. Statements are prepared once (persistent) and reset after every use.
/// </summary>
internal sealed partial class SqliteConnection : IDisposable
{
    private sqlite3_stmt?[] _statements = new sqlite3_stmt?[SqlStatement.Count];
    private readonly bool _ownsHandle;
    private bool _closed;
    private bool _payloadBound;

    public SqliteConnection(sqlite3 handle, bool ownsHandle, string dataSource)
    {
        Handle = handle;
        _ownsHandle = ownsHandle;
        DataSource = dataSource;
    }

    public sqlite3 Handle { get; }

    public string DataSource { get; }

    /// <summary>Serializes use of this connection; taken synchronously when free, awaited when not.</summary>
    public ConnectionGate Gate { get; } = new();

    public bool IsClosed => _closed;

    /// <summary>
    /// Gets the cached statement for <paramref name="sql"/> (preparing it on first use) as a scope that names
    /// <paramref name="operation"/> in every error and resets the statement when disposed:
    /// <c>using var statement = c.Statement(SomeKindSql.Get, op);</c>.
    /// </summary>
    public SqliteStatement Statement(SqlStatement sql, string operation)
    {
        var statements = _statements;
        var id = sql.Id;
        return new(this, (uint)id < (uint)statements.Length && statements[id] is { } cached ? cached : Prepare(sql, operation), operation);
    }

    /// <summary>
    /// Resets a statement after use so it holds no read transaction. Bindings are cleared too when a payload was bound,
    /// so SQLite does not keep a copy of it; every other parameter is rebound on each use, so clearing it would only
    /// cost a native call on the hot path.
    /// </summary>
    public void Reset(sqlite3_stmt statement)
    {
        Sqlite3.Reset(statement);
        if (_payloadBound)
        {
            _payloadBound = false;
            Sqlite3.ClearBindings(statement);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Check(int rc, string operation) => SqliteErrors.Check(rc, Handle, operation, DataSource);

    /// <summary>Steps a statement that returns no rows (or whose rows are ignored) and resets it.</summary>
    public int Execute(SqlStatement sql, string operation)
    {
        using var statement = Statement(sql, operation);
        return statement.Step();
    }

    /// <summary>Runs SQL that is not cached (pragmas, schema); only for rare paths.</summary>
    public void ExecuteScript(string sql, string operation)
    {
        var rc = sqlite3_exec(Handle, sql, out var error);
        if (rc != SQLITE_OK)
        {
            var exception = SqliteErrors.Create(
                sqlite3_extended_errcode(Handle), error ?? sqlite3_errstr(rc).utf8_to_string(), operation, DataSource);
            throw exception;
        }
    }

    /// <summary>Runs a one-row, one-column query that is not cached and returns its text, or null.</summary>
    public string? QueryText(string sql, string operation)
    {
        Check(sqlite3_prepare_v2(Handle, sql, out var statement), operation);
        using (statement)
        {
            var rc = Check(Sqlite3.Step(statement), operation);
            return rc == SQLITE_ROW && Sqlite3.ColumnType(statement, 0) != SQLITE_NULL
                ? sqlite3_column_text(statement, 0).utf8_to_string()
                : null;
        }
    }

    /// <summary>Gets whether a transaction is open on this connection.</summary>
    public bool InTransactionNow => sqlite3_get_autocommit(Handle) == 0;

    /// <summary>
    /// Runs <paramref name="body"/> atomically: inside <c>BEGIN IMMEDIATE</c> … <c>COMMIT</c>, or as a savepoint when a
    /// transaction (a group commit) is already open. Rolls back on failure.
    /// </summary>
    public unsafe TResult InTransaction<TState, TResult>(TState state, delegate*<SqliteConnection, TState, TResult> body, string operation)
    {
        var nested = InTransactionNow;
        Execute(nested ? SqliteEngineSql.SavepointTransaction : SqliteEngineSql.BeginImmediate, operation);
        TResult result;
        try
        {
            result = body(this, state);
            Execute(nested ? SqliteEngineSql.ReleaseTransaction : SqliteEngineSql.Commit, operation);
        }
        catch
        {
            if (InTransactionNow)
            {
                if (nested)
                {
                    sqlite3_exec(Handle, "ROLLBACK TO nap_tx; RELEASE nap_tx;");
                }
                else
                {
                    Rollback();
                }
            }

            throw;
        }

        return result;
    }

    /// <summary>
    /// Rolls back the open transaction, if any. Only on failure paths, so best effort: through <c>sqlite3_exec</c>, whose
    /// result is ignored, so a rollback that fails too (the transaction SQLite already ended, a closed handle) never
    /// replaces the error being handled, and holds no prepared statement for a path that rarely runs.
    /// </summary>
    public void Rollback()
    {
        if (InTransactionNow)
        {
            sqlite3_exec(Handle, "ROLLBACK");
        }
    }

    /// <summary>Finalizes every cached statement and closes the handle if this connection owns it.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        for (var i = 0; i < _statements.Length; i++)
        {
            _statements[i]?.Dispose();
            _statements[i] = null;
        }

        if (_ownsHandle)
        {
            sqlite3_close_v2(Handle);
            Handle.Dispose();
        }
    }

    /// <summary>Prepares a statement on first use; the cache grows when a kind's statements were declared after this connection opened.</summary>
    private sqlite3_stmt Prepare(SqlStatement sql, string operation)
    {
        Check(sqlite3_prepare_v3(Handle, sql.Utf8, SQLITE_PREPARE_PERSISTENT, out var statement), operation);
        if (sql.Id >= _statements.Length)
        {
            Array.Resize(ref _statements, Math.Max(SqlStatement.Count, sql.Id + 1));
        }

        _statements[sql.Id] = statement;
        return statement;
    }
}
