namespace NativeAotPersistence.Sqlite;

/// <summary>
/// SQLITE_BUSY or SQLITE_LOCKED: the statement did nothing and may be retried. It never reaches the caller; past the
/// busy timeout it becomes a <see cref="PersistenceException"/> with <see cref="PersistenceErrorKind.Busy"/>.
/// </summary>
internal sealed class SqliteBusyException : Exception
{
    public SqliteBusyException()
    {
    }

    public SqliteBusyException(string message)
        : base(message)
    {
    }

    public SqliteBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SqliteBusyException(int extendedCode, string? detail)
        : base($"SQLite code {extendedCode}: {detail}")
    {
        ExtendedCode = extendedCode;
        Detail = detail ?? "database is locked";
    }

    public int ExtendedCode { get; }

    public string Detail { get; } = "database is locked";
}
