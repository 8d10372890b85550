using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the stored row of one circuit breaker, as every backend keeps it: the state the contract API reads
/// (<see cref="ICircuitBreakerStateProvider.GetStateAsync"/>) and the fleet state (<see cref="Fleet"/>, the library's
/// own text: the half-open trials in flight, the trial successes, the re-open count, manual isolation, the
/// failure-ratio window), which only the library's rules read and write.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CircuitRow
{
    /// <summary>Gets the state.</summary>
    public CircuitState State { get; init; }

    /// <summary>Gets the consecutive failures recorded since the last success.</summary>
    public int FailureCount { get; init; }

    /// <summary>Gets when the last failure was recorded (Unix ms), or <see langword="null"/>.</summary>
    public long? LastFailureMs { get; init; }

    /// <summary>Gets when the last success was recorded (Unix ms), or <see langword="null"/>.</summary>
    public long? LastSuccessMs { get; init; }

    /// <summary>Gets the fleet state text, or <see langword="null"/> when the row has none (a row written by the contract API).</summary>
    public string? Fleet { get; init; }
}

/// <summary>
/// Backend kit: one decision over a circuit's row, the library's pure function (never user code): what
/// <see cref="ICircuitStore.UpdateAsync"/> runs inside the backend's transaction. A backend may run it more than once
/// (when it retries the transaction); each run sets every output anew.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class CircuitRule
{
    /// <summary>Decides one update of a circuit.</summary>
    /// <param name="stored">The stored row, or <see langword="null"/> for a key never stored.</param>
    /// <param name="nowMs">The store's clock (Unix ms), read while the key is held.</param>
    /// <returns>The row to store, or <see langword="null"/> to leave the stored row as it is.</returns>
    public abstract CircuitRow? Apply(CircuitRow? stored, long nowMs);
}

/// <summary>
/// Backend kit: what a backend gives the fleet circuit breaker: one atomic read-modify-write of a circuit's row, so
/// every process (and machine) on the store takes its turn. The rules are the library's, backend-independent.
/// </summary>
/// <remarks>
/// <para>What a backend's provider must also do with the row's <see cref="CircuitRow.Fleet"/> text, so that the contract
/// API (<see cref="ICircuitBreakerStateProvider"/>) and the fleet rules agree (the conformance suite checks each):</para>
/// <list type="bullet">
/// <item><description><see cref="ICircuitBreakerStateProvider.SetStateAsync"/> replaces the whole row and clears the
/// text; except that a half-open state leaves a row whose text starts with <c>f1;s=i</c> (an isolated circuit) as it
/// is.</description></item>
/// <item><description><see cref="ICircuitBreakerStateProvider.RecordFailureAsync"/> keeps the text;
/// <see cref="ICircuitBreakerStateProvider.RecordSuccessAsync"/> keeps it, and leaves an isolated row as it is.</description></item>
/// <item><description><see cref="UpdateAsync"/> may run the rule again when the backend retries its transaction (each run
/// starts from the row it reads then); it must not run it again after a commit whose outcome it cannot tell (a lost
/// connection during COMMIT): it fails with the store's error instead, and the breaker treats the call's outcome as
/// unrecorded.</description></item>
/// </list>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ICircuitStore
{
    /// <summary>Gets the store's clock.</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// In one transaction: reads <paramref name="key"/>'s row (<see langword="null"/> when absent), reads the clock,
    /// calls <paramref name="rule"/>, and stores the row it returns (if any).
    /// </summary>
    /// <param name="key">The breaker's key, already validated.</param>
    /// <param name="rule">The library's decision; it keeps its own outputs.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>A task that completes when the update committed.</returns>
    ValueTask UpdateAsync(string key, CircuitRule rule, CancellationToken cancellationToken);
}
