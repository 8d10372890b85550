namespace NativeAotPersistence.InMemory;

/// <summary>One key's rate-limit state and its expiry.</summary>
internal readonly record struct RateLimitRow(string State, long ExpiresAtMs);

/// <summary>The rate-limit states of a store, by stored key. Callers hold <see cref="Sync"/> around every use.</summary>
internal sealed class RateLimitTable
{
    public Lock Sync { get; } = new();

    public Dictionary<string, RateLimitRow> Keys { get; } = new(StringComparer.Ordinal);
}
