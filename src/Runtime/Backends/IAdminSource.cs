using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// A provider's (or a store's) part of <see cref="IPersistenceAdmin.GetStatsAsync"/>: it fills its own members of
/// <see cref="PersistenceStats"/> and leaves the others as they are. Every provider of every backend implements it,
/// and so does the backend's <see cref="BackendProviders.Store"/> for the store-level members.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IAdminSource
{
    /// <summary>Returns <paramref name="stats"/> with this source's members filled (<c>stats with { Cache = … }</c>).</summary>
    /// <param name="stats">The statistics so far.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken);
}

/// <summary>
/// A provider's listing for <see cref="IPersistenceAdmin"/>: the circuit-breaker provider lists
/// <see cref="CircuitSummary"/>, the checkpoint provider <see cref="TaskSummary"/>, the lock provider
/// <see cref="LockInfo"/> and the idempotency provider <see cref="IdempotencyKeySummary"/>.
/// </summary>
/// <typeparam name="TSummary">What one listed row is.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IAdminListing<TSummary>
{
    /// <summary>Lists the provider's live rows whose key matches <paramref name="pattern"/>, ordered by key (ordinal).</summary>
    /// <param name="pattern">A glob (see <see cref="ICacheProvider.KeysAsync"/>), already validated; <see langword="null"/> lists all.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy store.</param>
    ValueTask<IReadOnlyList<TSummary>> AdminListAsync(string? pattern, CancellationToken cancellationToken);
}
