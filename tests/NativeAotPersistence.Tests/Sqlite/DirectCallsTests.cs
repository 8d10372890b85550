using NativeAotPersistence.Sqlite;
using SQLitePCL;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>The hot SQLite calls go straight to e_sqlite3 (<see cref="Sqlite3"/>), or through SQLitePCLRaw when switched off.</summary>
public sealed class DirectCallsTests
{
    [Fact]
    public void WithTheBundledProvider_TheCallsAreDirect()
    {
        // If the name stopped resolving (or resolved to another SQLite), every test would silently run the fallback.
        Assert.True(Sqlite3.IsDirect);
    }

    [Fact]
    public void EmptyTextBindsAnEmptyString_NotNull()
    {
        SqliteNative.EnsureInitialized();
        Assert.Equal(SQLITE_OK, sqlite3_open(":memory:", out var db));
        using (db)
        {
            Assert.Equal(SQLITE_OK, sqlite3_prepare_v2(db, "SELECT typeof(?1), length(?1), ?2", out var statement));
            using (statement)
            {
                Assert.Equal(SQLITE_OK, Sqlite3.BindText(statement, 1, ReadOnlySpan<byte>.Empty));
                Assert.Equal(SQLITE_OK, Sqlite3.BindInt64(statement, 2, long.MinValue));
                Assert.Equal(SQLITE_ROW, Sqlite3.Step(statement));
                Assert.Equal("text", sqlite3_column_text(statement, 0).utf8_to_string());
                Assert.Equal(0, Sqlite3.ColumnInt(statement, 1));
                Assert.Equal(long.MinValue, Sqlite3.ColumnInt64(statement, 2));
                Assert.Equal(SQLITE_INTEGER, Sqlite3.ColumnType(statement, 2));
                Assert.Equal(SQLITE_DONE, Sqlite3.Step(statement));
                Assert.Equal(SQLITE_OK, Sqlite3.Reset(statement));
            }
        }
    }

    [Fact]
    public async Task BothPaths_GiveTheSameResults()
    {
        using var dir = new TempDirectory();
        var direct = await ChildProcess.RunTestHostAsync(["sqlite-calls", dir.File("direct.db"), "direct"]);
        var fallback = await ChildProcess.RunTestHostAsync(["sqlite-calls", dir.File("fallback.db"), "sqlitepclraw"]);

        Assert.True(direct.ExitCode == 0, direct.Error);
        Assert.True(fallback.ExitCode == 0, fallback.Error);
        Assert.Equal("DIRECT True", direct.Lines[0]);
        Assert.Equal("DIRECT False", fallback.Lines[0]);
        string[] expected =
        [
            "OK <null>", "OK x", "OK", "OK <null>", "OK False", "OK True", "OK a,ab", "OK True", "OK 1", "OK 2", "OK 2",
            "OK 3 40 state 00:00:09", "OK 42", "OK True True me True",
        ];
        Assert.Equal(expected, direct.Lines[1..]);
        Assert.Equal(expected, fallback.Lines[1..]);
    }
}
