namespace NativeAotPersistence;

/// <summary>A failure of the store, with a backend-neutral <see cref="Kind"/>.</summary>
public class PersistenceException : Exception
{
    /// <summary>Initializes a new instance with kind <see cref="PersistenceErrorKind.Other"/>.</summary>
    public PersistenceException()
        : this("A persistence operation failed.")
    {
    }

    /// <summary>Initializes a new instance with kind <see cref="PersistenceErrorKind.Other"/>.</summary>
    /// <param name="message">The message.</param>
    public PersistenceException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance with kind <see cref="PersistenceErrorKind.Other"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PersistenceException(string message, Exception? innerException)
        : this(message, PersistenceErrorKind.Other, "", dataSource: null, nativeErrorCode: null, sqlState: null, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message, which should name the data source and the cause.</param>
    /// <param name="kind">What went wrong.</param>
    /// <param name="operation">The operation that failed, such as <c>cache.set</c> or <c>connect</c>.</param>
    /// <param name="dataSource">The file path or server; never a password.</param>
    /// <param name="nativeErrorCode">The SQLite extended result code, when SQLite raised the error.</param>
    /// <param name="sqlState">The PostgreSQL SQLSTATE, when PostgreSQL raised the error.</param>
    /// <param name="innerException">The cause.</param>
    public PersistenceException(
        string message,
        PersistenceErrorKind kind,
        string operation,
        string? dataSource = null,
        int? nativeErrorCode = null,
        string? sqlState = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Operation = operation ?? "";
        DataSource = dataSource;
        NativeErrorCode = nativeErrorCode;
        SqlState = sqlState;
    }

    /// <summary>Gets what went wrong.</summary>
    public PersistenceErrorKind Kind { get; }

    /// <summary>Gets the operation that failed, such as <c>cache.set</c>, <c>connect</c> or <c>schema.create</c>.</summary>
    public string Operation { get; }

    /// <summary>Gets the file path or server the operation used; never a password.</summary>
    public string? DataSource { get; }

    /// <summary>Gets the SQLite extended result code, when SQLite raised the error.</summary>
    public int? NativeErrorCode { get; }

    /// <summary>Gets the PostgreSQL SQLSTATE, when PostgreSQL raised the error.</summary>
    public string? SqlState { get; }
}
