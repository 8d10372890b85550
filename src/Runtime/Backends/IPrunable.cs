using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// A provider whose kind expires rows: <see cref="IPersistenceAdapter.PruneAsync"/> calls it to reclaim them now.
/// The cache, idempotency and lock providers of every backend implement it (<see cref="AdapterCore"/> checks).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IPrunable
{
    /// <summary>Removes every expired row of this provider's namespace now.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    /// <returns>How many rows were removed.</returns>
    ValueTask<int> PruneAsync(CancellationToken cancellationToken);
}
