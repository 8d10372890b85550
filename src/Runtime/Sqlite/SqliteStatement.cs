using System.Text;
using System.Text.Json;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// One use of a cached statement: <c>using var statement = c.Statement(SomeKindSql.Get, op);</c> binds, steps and reads it with
/// the operation's name carried along (every error names it), and resets it when disposed. A <see langword="ref"/>
/// struct: nothing is allocated, nothing is boxed, and it cannot outlive the caller's hold on the connection.
/// </summary>
internal readonly ref struct SqliteStatement
{
    private readonly SqliteConnection _connection;

    public SqliteStatement(SqliteConnection connection, sqlite3_stmt handle, string operation)
    {
        _connection = connection;
        Handle = handle;
        Operation = operation;
    }

    /// <summary>Gets the prepared statement, for the rare call this scope does not wrap.</summary>
    public sqlite3_stmt Handle { get; }

    /// <summary>Gets the operation every error of this use names.</summary>
    public string Operation { get; }

    /// <summary>Gets the database the connection is open on, for the errors a read reports.</summary>
    public string DataSource => _connection.DataSource;

    /// <summary>Resets the statement (see <see cref="SqliteConnection.Reset"/>).</summary>
    public void Dispose() => _connection.Reset(Handle);

    /// <summary>Steps once; returns <c>SQLITE_ROW</c> or <c>SQLITE_DONE</c>, and throws for any error.</summary>
    public int Step() => _connection.Check(Sqlite3.Step(Handle), Operation);

    /// <summary>Steps once; returns whether a row is there to read.</summary>
    public bool StepRow() => Step() == SQLITE_ROW;

    /// <summary>
    /// Steps a write whose <c>RETURNING</c> row was read on to <c>SQLITE_DONE</c>. Outside an explicit transaction the
    /// write commits on that step, so a commit that fails (<c>SQLITE_BUSY</c> in rollback-journal mode while another
    /// connection reads) throws here and the write is retried, instead of being rolled back silently by the reset
    /// after its result was already returned.
    /// </summary>
    public void Finish()
    {
        while (StepRow())
        {
        }
    }

    /// <summary>Steps a <c>RETURNING</c> write and returns its one integer (or <paramref name="none"/> without a row), committed.</summary>
    public long StepReturningInt64(long none = 0)
    {
        if (!StepRow())
        {
            return none;
        }

        var value = Sqlite3.ColumnInt64(Handle, 0);
        Finish();
        return value;
    }

    /// <summary>Gets the rows the connection's last write changed.</summary>
    public int Changes() => Sqlite3.Changes(_connection.Handle);

    /// <summary>Binds <c>{namespace}{key}</c> as UTF-8 text. Two slots, for statements that bind two keys.</summary>
    public void BindKey(int index, KeyNamespace ns, string key, int slot = 0) =>
        Check(Sqlite3.BindText(Handle, index, _connection.Encode(ns.Utf8, key, slot)));

    /// <summary>Binds ?1 and ?2 to the byte range of every stored key that starts with namespace + <paramref name="literal"/>.</summary>
    public void BindRange(KeyNamespace ns, ReadOnlySpan<char> literal)
    {
        if (literal.IsEmpty)
        {
            Check(Sqlite3.BindText(Handle, 1, ns.Utf8));
            Check(Sqlite3.BindText(Handle, 2, ns.Utf8UpperBound));
            return;
        }

        var low = _connection.Encode(ns.Utf8, literal, 0);
        Check(Sqlite3.BindText(Handle, 1, low));
        Check(Sqlite3.BindText(Handle, 2, _connection.UpperBound(low)));
    }

    public void BindInt64(int index, long value) =>
        Check(Sqlite3.BindInt64(Handle, index, value));

    public void BindInt64(int index, long? value) =>
        Check(value is { } v ? Sqlite3.BindInt64(Handle, index, v) : Sqlite3.BindNull(Handle, index));

    public void BindText(int index, ReadOnlySpan<byte> utf8) =>
        Check(Sqlite3.BindText(Handle, index, utf8));

    public void BindText(int index, string text) =>
        Check(Sqlite3.BindText(Handle, index, _connection.Encode([], text, 0)));

    /// <summary>Binds text, or NULL.</summary>
    public void BindNullableText(int index, string? text) =>
        Check(text is null ? Sqlite3.BindNull(Handle, index) : Sqlite3.BindText(Handle, index, _connection.Encode([], text, 0)));

    /// <summary>
    /// Serializes <paramref name="value"/> into the connection's <see cref="SqliteConnection.Payload"/> buffer and binds
    /// it as UTF-8 JSON text. A value that could not be read back (too deep, NaN) is an <see cref="ArgumentException"/>
    /// naming <paramref name="key"/>.
    /// </summary>
    /// <remarks>
    /// SQLite binds a copy (<c>SQLITE_TRANSIENT</c>), so the buffer is cleared as soon as the value is bound: a payload
    /// larger than <see cref="PayloadBuffer.MaxRetainedSize"/> goes back to the array pool now, not at this connection's
    /// next write (which may never come).
    /// </remarks>
    public void BindPayload<T>(int index, PayloadTypeInfo<T> typeInfo, T value, string key)
    {
        var buffer = _connection.Payload;
        try
        {
            try
            {
                typeInfo.WriteChecked(buffer.Writer, value);
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                throw PayloadErrors.Unwritable(e, key, typeof(T));
            }

            buffer.Writer.Flush();
            _connection.PayloadBound();
            Check(Sqlite3.BindText(Handle, index, buffer.WrittenSpan));
        }
        finally
        {
            buffer.Clear();
        }
    }

    public bool IsNull(int column) => Sqlite3.ColumnType(Handle, column) == SQLITE_NULL;

    public long ColumnInt64(int column) => Sqlite3.ColumnInt64(Handle, column);

    public int ColumnInt(int column) => Sqlite3.ColumnInt(Handle, column);

    /// <summary>Gets a column's bytes (text as UTF-8), valid until the next step or reset.</summary>
    public ReadOnlySpan<byte> ColumnBlob(int column) => sqlite3_column_blob(Handle, column);

    public string ReadText(int column, int skipBytes = 0) => Encoding.UTF8.GetString(sqlite3_column_blob(Handle, column)[skipBytes..]);

    public string? ReadNullableText(int column) => IsNull(column) ? null : ReadText(column);

    public long? ReadNullableInt64(int column) => IsNull(column) ? null : Sqlite3.ColumnInt64(Handle, column);

    /// <summary>Reads a stored payload column; a value that does not parse is a <see cref="PayloadFormatException"/>.</summary>
    public T ReadPayload<T>(int column, PayloadTypeInfo<T> typeInfo, string key) =>
        _connection.ReadPayload(sqlite3_column_blob(Handle, column), typeInfo, key, Operation);

    /// <summary>Reads a stored time column (Unix milliseconds); a value out of range is a <see cref="PersistenceErrorKind.Corrupt"/> error.</summary>
    public DateTimeOffset ReadTime(int column, string table, string key) =>
        Ttl.FromStoredMs(Sqlite3.ColumnInt64(Handle, column), table, ColumnName(column), key, Operation, _connection.DataSource);

    /// <summary>Reads a nullable stored time column; a value out of range is a <see cref="PersistenceErrorKind.Corrupt"/> error.</summary>
    public DateTimeOffset? ReadNullableTime(int column, string table, string key) =>
        IsNull(column) ? null : ReadTime(column, table, key);

    private string ColumnName(int column) => sqlite3_column_name(Handle, column).utf8_to_string() ?? $"column {column}";

    private void Check(int rc) => _connection.Check(rc, Operation);
}
