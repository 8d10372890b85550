namespace NativeAotPersistence;

/// <summary>What went wrong, independent of the backend that raised it.</summary>
public enum PersistenceErrorKind
{
    /// <summary>Anything not covered by another kind.</summary>
    Other,

    /// <summary>The database stayed busy (locked by another connection or process) past the busy timeout.</summary>
    Busy,

    /// <summary>The database file is damaged.</summary>
    Corrupt,

    /// <summary>The file is not a database.</summary>
    NotADatabase,

    /// <summary>The database, its file or its directory cannot be written.</summary>
    ReadOnly,

    /// <summary>The disk (or the database's size limit) is full.</summary>
    Full,

    /// <summary>The database file cannot be opened or created.</summary>
    CannotOpen,

    /// <summary>The store was written by a newer version of the library.</summary>
    SchemaTooNew,

    /// <summary>Tables are missing and <see cref="PersistenceAdapterOptions.CreateTables"/> is off.</summary>
    SchemaMissing,

    /// <summary>A stored value does not parse as the requested type.</summary>
    PayloadFormat,

    /// <summary>A constraint of the schema was violated.</summary>
    Constraint,

    /// <summary>The operating system reported an I/O error.</summary>
    Io,

    /// <summary>The connection to a database server failed or was lost.</summary>
    Connection,
}
