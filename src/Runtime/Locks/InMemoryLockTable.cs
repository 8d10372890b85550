namespace NativeAotPersistence.InMemory;

/// <summary>One <see cref="LockScope.Database"/> lock.</summary>
internal readonly record struct LockRow(string Owner, long ExpiresAtMs, long FencingToken);

/// <summary>
/// The <see cref="LockScope.Database"/> locks of a store, with one fencing counter for the whole store (as SQLite keeps
/// one in <c>go_goscope_meta</c>), so removing rows never reuses a token. Callers hold <see cref="Sync"/> around every use.
/// </summary>
internal sealed class LockTable
{
    public Lock Sync { get; } = new();

    public Dictionary<string, LockRow> Rows { get; } = new(StringComparer.Ordinal);

    public long FencingCounter { get; set; }
}
