namespace NativeAotPersistence.InMemory;

/// <summary>One stored circuit breaker. <see cref="State"/> is the stored text, so an unknown state can be represented.</summary>
internal readonly record struct CircuitRow(string State, long FailureCount, long? LastFailureTimeMs, long? LastSuccessTimeMs, long UpdatedAtMs);

/// <summary>The circuit-breaker table: rows by stored key. Callers hold <see cref="Sync"/> around every use.</summary>
internal sealed class CircuitTable
{
    public Lock Sync { get; } = new();

    public Dictionary<string, CircuitRow> Rows { get; } = new(StringComparer.Ordinal);
}
