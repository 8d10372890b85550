namespace NativeAotPersistence;

/// <summary>
/// Inspection and maintenance of one adapter's rows (its <see cref="PersistenceAdapterOptions.KeyPrefix"/> only), for
/// operators and tools, without raw SQL.
/// </summary>
public interface IPersistenceAdmin
{
    /// <summary>Gets the schema version, the data source, its size and the live and expired counts per kind.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<PersistenceStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists every circuit breaker's stored state, ordered by key.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<CircuitSummary>> ListCircuitsAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists every task with checkpoints: count, latest sequence, progress and estimate, ordered by task id.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<TaskSummary>> ListTasksAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the live locks (both scopes: the adapter's own process locks, or the database's), ordered by key.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<LockInfo>> ListLocksAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists every semaphore with live permits: its limit and holders, ordered by key.</summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<SemaphoreInfo>> ListSemaphoresAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the live idempotency records whose key matches <paramref name="pattern"/>, ordered by key.</summary>
    /// <param name="pattern">A glob as in <see cref="ICacheProvider.KeysAsync"/>; <see langword="null"/> lists all.</param>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<IdempotencyKeySummary>> ListIdempotencyKeysAsync(string? pattern = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the cache tags (<see cref="CacheEntryOptions.Tags"/>) of this adapter's key prefix, with how many entries
    /// have each, in code point order of the tag (the order of its UTF-8 bytes, on every backend): what
    /// <see cref="ICacheProvider.RemoveByTagAsync"/> would delete.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a busy database.</param>
    ValueTask<IReadOnlyList<CacheTagSummary>> ListCacheTagsAsync(CancellationToken cancellationToken = default);
}
