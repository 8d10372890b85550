using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the steps of one call through a <see cref="CircuitBreaker"/>, for integrations with other call models
/// (the Polly strategy) that run the call themselves: admit it, run it, then end it in exactly one of
/// <see cref="SucceedAsync"/>, <see cref="FailAsync"/> or <see cref="AbandonAsync"/>. The breaker keeps its rules (the
/// shared state, the half-open trial slots); the caller raises the transitions it gets back to its own listeners
/// (the breaker's <see cref="CircuitBreaker.StateChanged"/> and <see cref="CircuitBreakerOptions.OnStateChanged"/> are not raised).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CircuitBreakerSteps
{
    /// <summary>
    /// The first step: reads the shared state and decides whether the call may run. Moves an open breaker whose reset
    /// timeout has passed to half-open (reported in <see cref="CircuitAdmission.Transition"/>, not raised).
    /// </summary>
    /// <param name="breaker">The breaker.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The admission: pass an admitted one to exactly one of the other steps, a rejected one to none.</returns>
    /// <exception cref="PersistenceException">The state could not be read or written.</exception>
    public static ValueTask<CircuitAdmission> AdmitAsync(CircuitBreaker breaker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(breaker);
        return breaker.AdmitAsync(cancellationToken);
    }

    /// <summary>Ends an admitted call that succeeded (a success resets the failure count; trial successes close a half-open breaker).</summary>
    /// <param name="breaker">The breaker.</param>
    /// <param name="admission">What <see cref="AdmitAsync"/> returned.</param>
    /// <returns>The transition the call caused (half-open to closed), or <see langword="null"/>.</returns>
    /// <exception cref="PersistenceException">The state could not be written.</exception>
    public static ValueTask<CircuitBreakerTransition?> SucceedAsync(CircuitBreaker breaker, CircuitAdmission admission)
    {
        ArgumentNullException.ThrowIfNull(breaker);
        return breaker.SucceedAsync(admission);
    }

    /// <summary>Ends an admitted call that failed (counted toward the threshold; a trial failure reopens the breaker).</summary>
    /// <param name="breaker">The breaker.</param>
    /// <param name="admission">What <see cref="AdmitAsync"/> returned.</param>
    /// <returns>The transition the call caused (to open), or <see langword="null"/>.</returns>
    /// <exception cref="PersistenceException">The state could not be written.</exception>
    public static ValueTask<CircuitBreakerTransition?> FailAsync(CircuitBreaker breaker, CircuitAdmission admission)
    {
        ArgumentNullException.ThrowIfNull(breaker);
        return breaker.FailAsync(admission);
    }

    /// <summary>
    /// Ends an admitted call that neither succeeded nor failed (the caller cancelled, or an exception that is not a
    /// failure): frees its trial slot, records nothing. The slot is free in the store when the task completes; a store
    /// that cannot be written leaves it to expire after its time to live, and the task still completes without an error.
    /// </summary>
    /// <param name="breaker">The breaker.</param>
    /// <param name="admission">What <see cref="AdmitAsync"/> returned.</param>
    /// <returns>A task that completes when the slot is free (or left to expire).</returns>
    public static ValueTask AbandonAsync(CircuitBreaker breaker, CircuitAdmission admission)
    {
        ArgumentNullException.ThrowIfNull(breaker);
        return breaker.AbandonAsync(admission);
    }
}
