using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a provider that knows its adapter's clock (<see cref="PersistenceAdapterOptions.TimeProvider"/>), so that helpers built
/// on it (<see cref="CircuitBreaker"/>, the lock helpers) default to that clock: one clock for every expiry of a store.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IClockOwner
{
    /// <summary>Gets the adapter's clock.</summary>
    TimeProvider Time { get; }
}
