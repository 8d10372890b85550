namespace NativeAotPersistence.InMemory;

/// <summary>One live (or not yet reclaimed) permit of a semaphore.</summary>
internal readonly record struct PermitRow(int Permits, long ExpiresAtMs, long FencingToken);

/// <summary>
/// The semaphores of a store: per stored key, the permits by owner; their fencing tokens come from the store's one
/// counter (<see cref="InMemoryStore.NextFencingToken"/>). Callers hold <see cref="Sync"/> around every use.
/// </summary>
internal sealed class SemaphoreTable
{
    public Lock Sync { get; } = new();

    public Dictionary<string, Dictionary<string, PermitRow>> Keys { get; } = new(StringComparer.Ordinal);
}
