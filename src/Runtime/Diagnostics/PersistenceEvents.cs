namespace NativeAotPersistence;

/// <summary>How connecting changed the stored schema.</summary>
public enum SchemaChange
{
    /// <summary>The schema was current; nothing was written.</summary>
    None,

    /// <summary>The tables were created.</summary>
    Created,

    /// <summary>An older schema version was migrated to the current one.</summary>
    Migrated,
}

/// <summary>An adapter connected (<see cref="IPersistenceEventObserver.OnConnected"/>).</summary>
/// <param name="Backend"><c>sqlite</c> or <c>postgresql</c>.</param>
/// <param name="DataSource">The file or server (never a password).</param>
/// <param name="SchemaVersion">The schema version now recorded.</param>
/// <param name="Change">What connecting did to the schema.</param>
public sealed record PersistenceConnected(string Backend, string DataSource, int SchemaVersion, SchemaChange Change);

/// <summary>
/// An operation waited for a busy SQLite database, or retried a transient PostgreSQL failure
/// (<see cref="IPersistenceEventObserver.OnBusyWait"/>), reported once it succeeded or gave up.
/// </summary>
/// <param name="Backend"><c>sqlite</c> or <c>postgresql</c>.</param>
/// <param name="Operation">The operation, such as <c>cache.set</c>.</param>
/// <param name="DataSource">The file or server.</param>
/// <param name="Waited">How long it waited in all.</param>
/// <param name="GaveUp">Whether it failed after waiting (its budget ran out).</param>
public sealed record PersistenceBusyWait(string Backend, string Operation, string DataSource, TimeSpan Waited, bool GaveUp);

/// <summary>
/// A held lock (or the lease of an ExecuteOnce) was lost before its holder released it
/// (<see cref="IPersistenceEventObserver.OnLockLost"/>); its <see cref="ILockHandle.HandleLost"/> fires.
/// </summary>
/// <param name="Key">The lock's key.</param>
/// <param name="Owner">The owner that lost it.</param>
/// <param name="FencingToken">The token it held.</param>
/// <param name="Reason">Why it was lost.</param>
/// <param name="Error">The failure of the renewal, when <paramref name="Reason"/> is <see cref="LockLossReason.RenewalFailed"/>.</param>
public sealed record PersistenceLockLost(string Key, string Owner, long FencingToken, LockLossReason Reason = LockLossReason.Expired, Exception? Error = null);

/// <summary>
/// A lock whose holder process was gone (it ran on this host and no longer exists) was taken over before its TTL ran
/// out (<see cref="IPersistenceEventObserver.OnLockTakenOver"/>).
/// </summary>
/// <param name="Key">The lock's key.</param>
/// <param name="PreviousOwner">The owner whose process was gone.</param>
/// <param name="Owner">The owner that holds it now.</param>
/// <param name="FencingToken">The new holder's token, larger than the dead holder's.</param>
public sealed record PersistenceLockTakenOver(string Key, string PreviousOwner, string Owner, long FencingToken);

/// <summary>
/// A listing skipped a row it could not read (<see cref="IPersistenceEventObserver.OnRowSkipped"/>): a damaged row, or
/// one another tool wrote. The other rows are listed; reading that key alone throws <see cref="Error"/>.
/// </summary>
/// <param name="Operation">The listing, such as <c>admin.circuits</c> or <c>checkpoint.list</c>.</param>
/// <param name="Table">The table that holds the row.</param>
/// <param name="Key">The row's key (or checkpoint id), without prefix.</param>
/// <param name="Error">Why it could not be read (<see cref="PersistenceErrorKind.Corrupt"/> or <see cref="PersistenceErrorKind.PayloadFormat"/>).</param>
public sealed record PersistenceRowSkipped(string Operation, string Table, string Key, PersistenceException Error);

/// <summary>
/// Receives the in-process events of NativeAotPersistence (subscribe with <see cref="PersistenceEvents.Subscribe"/>);
/// the NativeAotPersistence.Extensions package turns them into <c>ILogger</c> events. Every method has an empty default,
/// so an observer implements only what it wants. Calls come on the thread of the operation that raised the event:
/// keep them short, and never block. An exception thrown here is swallowed: observing must not fail an operation.
/// </summary>
public interface IPersistenceEventObserver
{
    /// <summary>An adapter connected.</summary>
    /// <param name="e">What it connected to and what it did to the schema.</param>
    void OnConnected(PersistenceConnected e)
    {
    }

    /// <summary>An operation waited for a busy SQLite file or retried a transient PostgreSQL failure.</summary>
    /// <param name="e">The operation and how long it waited.</param>
    void OnBusyWait(PersistenceBusyWait e)
    {
    }

    /// <summary>A held lock was lost before its holder released it.</summary>
    /// <param name="e">The lock.</param>
    void OnLockLost(PersistenceLockLost e)
    {
    }

    /// <summary>A lock whose holder process was gone was taken over at once, before its TTL ran out.</summary>
    /// <param name="e">The lock, the dead holder and the new one.</param>
    void OnLockTakenOver(PersistenceLockTakenOver e)
    {
    }

    /// <summary>A circuit breaker changed state.</summary>
    /// <param name="e">The transition.</param>
    void OnCircuitTransition(CircuitBreakerTransition e)
    {
    }

    /// <summary>A listing skipped a row it could not read, and listed the others.</summary>
    /// <param name="e">The row and why.</param>
    void OnRowSkipped(PersistenceRowSkipped e)
    {
    }

    /// <summary>A stored value did not parse; <paramref name="e"/> is about to be thrown to the caller.</summary>
    /// <param name="e">The error.</param>
    void OnPayloadFormatError(PayloadFormatException e)
    {
    }
}

/// <summary>
/// The process-wide registry of <see cref="IPersistenceEventObserver"/>s. With none subscribed, raising an event is one
/// array-length check and no payload is built.
/// </summary>
public static class PersistenceEvents
{
    private static readonly Lock s_sync = new();
    private static IPersistenceEventObserver[] s_observers = [];

    /// <summary>Subscribes <paramref name="observer"/> to every adapter and helper in this process.</summary>
    /// <param name="observer">The observer.</param>
    /// <returns>Dispose it to unsubscribe.</returns>
    public static IDisposable Subscribe(IPersistenceEventObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (s_sync)
        {
            s_observers = [.. s_observers, observer];
        }

        return new Subscription(observer);
    }

    internal static bool IsEnabled => PersistenceTelemetry.IsSupported && Volatile.Read(ref s_observers).Length != 0;

    internal static void Connected(PersistenceConnected e) => Raise(e, static (o, e) => o.OnConnected(e));

    internal static void BusyWait(PersistenceBusyWait e) => Raise(e, static (o, e) => o.OnBusyWait(e));

    internal static void LockLost(PersistenceLockLost e) => Raise(e, static (o, e) => o.OnLockLost(e));

    internal static void LockTakenOver(PersistenceLockTakenOver e) => Raise(e, static (o, e) => o.OnLockTakenOver(e));

    internal static void CircuitTransition(CircuitBreakerTransition e) => Raise(e, static (o, e) => o.OnCircuitTransition(e));

    internal static void RowSkipped(PersistenceRowSkipped e) => Raise(e, static (o, e) => o.OnRowSkipped(e));

    internal static void PayloadFormatError(PayloadFormatException e) => Raise(e, static (o, e) => o.OnPayloadFormatError(e));

    private static void Raise<T>(T e, Action<IPersistenceEventObserver, T> call)
    {
        foreach (var observer in Volatile.Read(ref s_observers))
        {
            try
            {
                call(observer, e);
            }
#pragma warning disable CA1031 // An observer's failure must never fail the operation that raised the event.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private sealed class Subscription(IPersistenceEventObserver observer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (s_sync)
            {
                var index = Array.IndexOf(s_observers, observer);
                if (index >= 0)
                {
                    s_observers = [.. s_observers[..index], .. s_observers[(index + 1)..]];
                }
            }
        }
    }
}
