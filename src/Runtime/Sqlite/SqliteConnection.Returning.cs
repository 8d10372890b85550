using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

internal sealed partial class SqliteConnection
{
    /// <summary>
    /// Steps a write whose <c>RETURNING</c> row was read on to <c>SQLITE_DONE</c>. Outside an explicit transaction the
    /// write commits on that step, so a commit that fails (<c>SQLITE_BUSY</c> in rollback-journal mode while another
    /// connection reads) throws here and the write is retried, instead of being rolled back silently by
    /// <see cref="Reset"/> after its result was already returned.
    /// </summary>
    public void Finish(sqlite3_stmt statement, string operation)
    {
        while (Check(Sqlite3.Step(statement), operation) == SQLITE_ROW)
        {
        }
    }

    /// <summary>Steps a <c>RETURNING</c> write and returns its one integer (or <paramref name="none"/> without a row), committed.</summary>
    public long StepReturningInt64(sqlite3_stmt statement, string operation, long none = 0)
    {
        if (Check(Sqlite3.Step(statement), operation) != SQLITE_ROW)
        {
            return none;
        }

        var value = Sqlite3.ColumnInt64(statement, 0);
        Finish(statement, operation);
        return value;
    }
}
