namespace NativeAotPersistence.InMemory;

/// <summary>
/// One stored circuit breaker: <c>go_goscope_circuit</c>'s columns. <see cref="State"/> is the stored text, so an
/// unknown state can be represented; <see cref="Fleet"/> is the fleet breaker's own state (<see cref="CircuitRow.Fleet"/>).
/// </summary>
internal readonly record struct StoredCircuit(string State, long FailureCount, long? LastFailureTimeMs, long? LastSuccessTimeMs, long UpdatedAtMs, string? Fleet = null);

/// <summary>The circuit-breaker table: rows by stored key. Callers hold <see cref="Sync"/> around every use.</summary>
internal sealed class CircuitTable
{
    public Lock Sync { get; } = new();

    public Dictionary<string, StoredCircuit> Rows { get; } = new(StringComparer.Ordinal);
}
