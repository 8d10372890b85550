using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: a provider that resolves payload types through its adapter's
/// <see cref="PersistenceAdapterOptions.Payloads"/>, so that helpers built on it resolve the same way.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IPayloadContextOwner
{
    /// <summary>Gets the adapter's payload context, or <see langword="null"/> for the built-in types only.</summary>
    PayloadContext? Payloads { get; }
}
