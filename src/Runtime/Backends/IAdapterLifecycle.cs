using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: what providers shared between backends (<see cref="ProcessLockProvider"/>) need from their adapter.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IAdapterLifecycle
{
    /// <summary>Throws <see cref="InvalidOperationException"/> unless the adapter is connected.</summary>
    void EnsureConnected();
}
