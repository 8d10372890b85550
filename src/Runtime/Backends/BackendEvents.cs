using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: raises the events of <see cref="PersistenceEvents"/> a backend reports to every
/// <see cref="IPersistenceEventObserver"/> of the process. An observer's exception never reaches the backend.
/// </summary>
/// <remarks>Check <see cref="IsEnabled"/> first, so that no event is built while nobody observes.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BackendEvents
{
    /// <summary>Gets whether any observer is subscribed (and telemetry is compiled in).</summary>
    public static bool IsEnabled => PersistenceEvents.IsEnabled;

    /// <summary>Raises <see cref="IPersistenceEventObserver.OnConnected"/>: an adapter connected, after its schema check.</summary>
    /// <param name="e">The event.</param>
    public static void Connected(PersistenceConnected e) => PersistenceEvents.Connected(e);

    /// <summary>Raises <see cref="IPersistenceEventObserver.OnBusyWait"/>: an operation waited for a busy store, or retried a transient failure.</summary>
    /// <param name="e">The event.</param>
    public static void BusyWait(PersistenceBusyWait e) => PersistenceEvents.BusyWait(e);
}
