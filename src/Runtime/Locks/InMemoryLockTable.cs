namespace NativeAotPersistence.InMemory;

/// <summary>One <see cref="LockScope.Database"/> lock.</summary>
internal readonly record struct LockRow(string Owner, long ExpiresAtMs, long FencingToken);

/// <summary>
/// The <see cref="LockScope.Database"/> locks of a store; their fencing tokens come from the store's one counter
/// (<see cref="InMemoryStore.NextFencingToken"/>). Callers hold <see cref="Sync"/> around every use.
/// </summary>
internal sealed class LockTable
{
    public Lock Sync { get; } = new();

    public Dictionary<string, LockRow> Rows { get; } = new(StringComparer.Ordinal);
}
