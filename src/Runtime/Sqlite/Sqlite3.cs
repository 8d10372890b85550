using System.Runtime.InteropServices;
using SQLitePCL;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// The SQLite calls of the hot paths (bind, step, reset, column reads), made straight into <c>e_sqlite3</c> on the
/// statement's raw pointer when that is the library SQLitePCLRaw itself uses, and through SQLitePCLRaw otherwise.
/// </summary>
/// <remarks>
/// Through SQLitePCLRaw each call passes its provider interface and marshals the statement as a
/// <see cref="SafeHandle"/> (two interlocked operations); a get on <c>:memory:</c> makes four such calls and spends
/// about a tenth of its time there. The direct path skips both: the statement's lifetime is already guarded (only the
/// holder of the connection's gate uses it, and only while the connection is open). Every call keeps its GC
/// transition: on a borrowed handle opened with a mutex, even a bind may wait for another thread. Anything else
/// (opening, preparing, errors, backups) stays on SQLitePCLRaw. The AppContext switch
/// <c>NativeAotPersistence.Sqlite.DirectCalls=false</c> turns the direct path off.
/// <para>
/// What it saves, measured as interleaved A/B rounds of the provider's exact calls in both forms, on its own prepared
/// statements, against the whole operation timed in the same rounds (four runs of 61 rounds on a 2-core VM, .NET 10):
/// 25-38 ns = 3.0-4.5 % of a <c>:memory:</c> get-hit, 48-65 ns = 3.1-4.0 % of a <c>:memory:</c> set, 68-99 ns =
/// 2.5-3.6 % of a WAL-file get-hit, faster in 49-61 of the 61 rounds; nothing consistent on a WAL-file set (its commit
/// dominates: -0.2..3.1 %, faster in 30-40 rounds).
/// <c>dotnet build bench/NativeAotPersistence.Benchmarks -c Release &amp;&amp; dotnet
/// bench/NativeAotPersistence.Benchmarks/bin/Release/net10.0/NativeAotPersistence.Benchmarks.dll --engine</c> prints it.
/// </para>
/// </remarks>
internal static class Sqlite3
{
    private const string Library = "e_sqlite3";

    // SQLITE_TRANSIENT: SQLite copies bound text before the call returns, so the buffer may be reused at once.
    private static readonly IntPtr s_transient = new(-1);

    // An empty span may have no address, and a null pointer binds SQL NULL: empty text binds this instead.
    private static readonly byte[] s_empty = [0];

    /// <summary>Gets whether the calls go straight to <c>e_sqlite3</c>.</summary>
    internal static bool IsDirect { get; } = Probe();

    public static int Step(sqlite3_stmt statement) =>
        IsDirect ? NativeStep(statement.DangerousGetHandle()) : raw.sqlite3_step(statement);

    public static int Reset(sqlite3_stmt statement) =>
        IsDirect ? NativeReset(statement.DangerousGetHandle()) : raw.sqlite3_reset(statement);

    public static int ClearBindings(sqlite3_stmt statement) =>
        IsDirect ? NativeClearBindings(statement.DangerousGetHandle()) : raw.sqlite3_clear_bindings(statement);

    /// <summary>Binds UTF-8 text, copied by SQLite; empty text binds <c>''</c> on both paths, never NULL.</summary>
    public static int BindText(sqlite3_stmt statement, int index, ReadOnlySpan<byte> utf8) =>
        IsDirect
            ? NativeBindText(statement.DangerousGetHandle(), index, ref utf8.IsEmpty ? ref s_empty[0] : ref MemoryMarshal.GetReference(utf8), utf8.Length, s_transient)
            : utf8.IsEmpty ? raw.sqlite3_bind_text(statement, index, "") : raw.sqlite3_bind_text(statement, index, utf8);

    public static int BindInt64(sqlite3_stmt statement, int index, long value) =>
        IsDirect ? NativeBindInt64(statement.DangerousGetHandle(), index, value) : raw.sqlite3_bind_int64(statement, index, value);

    public static int BindNull(sqlite3_stmt statement, int index) =>
        IsDirect ? NativeBindNull(statement.DangerousGetHandle(), index) : raw.sqlite3_bind_null(statement, index);

    public static int ColumnType(sqlite3_stmt statement, int column) =>
        IsDirect ? NativeColumnType(statement.DangerousGetHandle(), column) : raw.sqlite3_column_type(statement, column);

    public static long ColumnInt64(sqlite3_stmt statement, int column) =>
        IsDirect ? NativeColumnInt64(statement.DangerousGetHandle(), column) : raw.sqlite3_column_int64(statement, column);

    public static int ColumnInt(sqlite3_stmt statement, int column) =>
        IsDirect ? NativeColumnInt(statement.DangerousGetHandle(), column) : raw.sqlite3_column_int(statement, column);

    public static int Changes(sqlite3 connection) =>
        IsDirect ? NativeChanges(connection.DangerousGetHandle()) : raw.sqlite3_changes(connection);

    /// <summary>
    /// Direct calls only when SQLitePCLRaw's provider is <c>e_sqlite3</c> (not SQLCipher, winsqlite3 or a system
    /// <c>sqlite3</c>) and the same name resolves here to the same SQLite version; a handle must never meet another
    /// library's code.
    /// </summary>
    private static bool Probe()
    {
        SqliteNative.EnsureInitialized();
        if (AppContext.TryGetSwitch("NativeAotPersistence.Sqlite.DirectCalls", out var enabled) && !enabled)
        {
            return false;
        }

        try
        {
            return raw.GetNativeLibraryName() == Library && NativeLibVersionNumber() == raw.sqlite3_libversion_number();
        }
        catch (Exception)
        {
            // Not resolvable here (DllNotFoundException, EntryPointNotFoundException, a platform that binds SQLite
            // differently): SQLitePCLRaw's own calls work wherever it does, so they are the answer to any failure.
            return false;
        }
    }

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_libversion_number")]
    private static extern int NativeLibVersionNumber();

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_step")]
    private static extern int NativeStep(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_reset")]
    private static extern int NativeReset(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_clear_bindings")]
    private static extern int NativeClearBindings(IntPtr statement);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_bind_text")]
    private static extern int NativeBindText(IntPtr statement, int index, ref byte utf8, int length, IntPtr destructor);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_bind_int64")]
    private static extern int NativeBindInt64(IntPtr statement, int index, long value);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_bind_null")]
    private static extern int NativeBindNull(IntPtr statement, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_column_type")]
    private static extern int NativeColumnType(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_column_int64")]
    private static extern long NativeColumnInt64(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_column_int")]
    private static extern int NativeColumnInt(IntPtr statement, int column);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "sqlite3_changes")]
    private static extern int NativeChanges(IntPtr connection);
}
