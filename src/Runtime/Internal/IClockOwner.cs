namespace NativeAotPersistence;

/// <summary>
/// A provider that knows its adapter's clock (<see cref="PersistenceAdapterOptions.TimeProvider"/>), so that helpers built
/// on it (<see cref="CircuitBreaker"/>, the lock helpers) default to that clock: one clock for every expiry of a store.
/// </summary>
internal interface IClockOwner
{
    /// <summary>Gets the adapter's clock.</summary>
    TimeProvider Time { get; }
}
