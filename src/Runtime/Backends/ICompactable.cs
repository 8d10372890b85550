using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// A store that can give the space of deleted rows back: <see cref="IPersistenceAdmin.CompactAsync"/> calls it. Every
/// backend's <see cref="BackendProviders.Store"/> implements it (<see cref="AdapterCore"/> checks).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ICompactable
{
    /// <summary>
    /// Compacts the whole store (see <see cref="IPersistenceAdmin.CompactAsync"/> for what each backend does); throws the
    /// adapter's lifecycle error when it is not connected, then <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is already cancelled, before touching the store.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>The store's size before and after, and how long it took.</returns>
    ValueTask<CompactResult> CompactAsync(CancellationToken cancellationToken);
}
