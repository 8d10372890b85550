namespace NativeAotPersistence.Sqlite;

/// <summary>
/// One constant SQL text that each connection prepares once (<c>SQLITE_PREPARE_PERSISTENT</c>) and reuses. Every kind
/// declares its own as <see langword="static"/> <see langword="readonly"/> fields of its <c>Sqlite…Sql</c> class; the
/// engine knows none of them. User strings are only ever bound as parameters.
/// </summary>
internal sealed class SqlStatement
{
    private static int s_count;

    /// <summary>Declares a statement; <paramref name="utf8"/> is its text.</summary>
    public SqlStatement(ReadOnlySpan<byte> utf8)
    {
        Utf8 = utf8.ToArray();
        Id = Interlocked.Increment(ref s_count) - 1;
    }

    /// <summary>Gets how many statements have been declared so far: the size a connection's statement cache starts at.</summary>
    public static int Count => Volatile.Read(ref s_count);

    /// <summary>Gets the statement's slot in every connection's statement cache.</summary>
    public int Id { get; }

    /// <summary>Gets the SQL text as UTF-8.</summary>
    public byte[] Utf8 { get; }
}

/// <summary>
/// A kind's table on SQLite: what creates it (tables, indexes, seed rows, all <c>IF NOT EXISTS</c>), and the columns
/// later schema versions added to it, for a table an older version created.
/// </summary>
internal sealed class SqliteTable
{
    /// <summary>Declares a kind's table.</summary>
    /// <param name="name">The table, which <see cref="SqliteSchema"/> looks for.</param>
    /// <param name="create">The script that creates the table and what belongs to it; it runs after the meta table exists.</param>
    /// <param name="migrations">Per schema version, the script that brings a table an older version created up to it.</param>
    public SqliteTable(string name, string create, params (int Version, string Script)[] migrations)
        : this(name, create, [], migrations)
    {
    }

    /// <summary>Declares a kind's table that needs other objects (triggers) too.</summary>
    /// <param name="name">The table, which <see cref="SqliteSchema"/> looks for.</param>
    /// <param name="create">The script that creates the table and what belongs to it; it runs after the meta table exists.</param>
    /// <param name="requires">The other objects <paramref name="create"/> makes that the schema needs (<see cref="Requires"/>).</param>
    /// <param name="migrations">Per schema version, the script that brings a table an older version created up to it.</param>
    public SqliteTable(string name, string create, string[] requires, params (int Version, string Script)[] migrations)
    {
        Name = name;
        Create = create;
        Requires = requires;
        Migrations = migrations;
    }

    /// <summary>Gets the table's name.</summary>
    public string Name { get; }

    /// <summary>Gets the script that creates the table and what belongs to it.</summary>
    public string Create { get; }

    /// <summary>Gets, per schema version, the script that brings a table an older version created up to it.</summary>
    public IReadOnlyList<(int Version, string Script)> Migrations { get; }

    /// <summary>
    /// Gets the other objects (triggers) <see cref="Create"/> makes that the schema needs: one missing makes the schema
    /// incomplete, so that connecting runs <see cref="Create"/> again. Their names start with <c>go_goscope_</c>.
    /// </summary>
    public string[] Requires { get; }
}
