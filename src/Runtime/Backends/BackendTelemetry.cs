using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the metrics and traces of <see cref="PersistenceTelemetry"/> a backend reports, under the same
/// instrument and activity names as the built-in backends, so that one dashboard reads them all. Each costs a field
/// read while nobody listens, and nothing when the app turns telemetry off
/// (<c>NativeAotPersistence.Telemetry.IsSupported</c>).
/// </summary>
/// <remarks>
/// <c>backend</c> is the backend's name in tags, in lower case (<c>sqlite</c>, <c>postgresql</c>); <c>operation</c> is
/// the dotted operation name (<c>cache.get</c>, <c>lock.acquire</c>), the same for every backend.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BackendTelemetry
{
    /// <summary>Gets whether storage operations are timed: only while telemetry is compiled in and a listener listens. Read it before <see cref="Timed"/>.</summary>
    public static bool TimesOperations => PersistenceTelemetry.TimesOperations;

    /// <summary>
    /// Completes with <paramref name="task"/>'s outcome and, when the operation was slower than
    /// <see cref="PersistenceTelemetry.SlowOperationThreshold"/> or traced on demand, records it as an activity
    /// <c>nap.{operation}</c>. Allocates nothing for an operation that completed synchronously and was not traced.
    /// </summary>
    /// <typeparam name="T">The operation's result type.</typeparam>
    /// <param name="backend">The backend's name in tags.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="started">When it started: <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>.</param>
    /// <param name="task">The operation, already started.</param>
    /// <returns>The operation's outcome, unchanged.</returns>
    public static ValueTask<T> Timed<T>(string backend, string operation, long started, ValueTask<T> task) =>
        PersistenceTelemetry.Timed(backend, operation, started, task);

    /// <summary>Counts a cache get in <c>nap.cache.lookups</c>.</summary>
    /// <param name="backend">The backend's name in tags.</param>
    /// <param name="outcome">What the get found.</param>
    public static void CacheLookup(string backend, CacheOutcome outcome) => PersistenceTelemetry.CacheLookup(backend, outcome);

    /// <summary>Counts a wait for a busy store, or a retry of a transient failure, in <c>nap.busy_waits</c>.</summary>
    /// <param name="backend">The backend's name in tags.</param>
    /// <param name="operation">The operation that waits.</param>
    public static void BusyWait(string backend, string operation) => PersistenceTelemetry.BusyWait(backend, operation);
}
