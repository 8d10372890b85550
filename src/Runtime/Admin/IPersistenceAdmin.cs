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

    /// <summary>
    /// Gives the space of deleted rows (pruned, removed, expired and swept) back: the whole store, every prefix, not only
    /// this adapter's. Deleting rows never shrinks a store by itself; run this after a large <see cref="IPersistenceAdapter.PruneAsync"/>
    /// or clean-up, in a quiet period, not on a schedule that runs it often.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>SQLite</b>: <c>VACUUM</c> on the writer connection, then <c>PRAGMA wal_checkpoint(TRUNCATE)</c>, so the file
    /// and its <c>-wal</c> shrink on disk. <c>VACUUM</c> rewrites the whole database into a temporary copy (in
    /// SQLite's temporary directory: <c>SQLITE_TMPDIR</c>, else <c>/var/tmp</c>, <c>/usr/tmp</c>, <c>/tmp</c>) and
    /// copies it back through the <c>-wal</c>: it needs up to twice the database's size free on disk, and takes time
    /// in proportion to what the database holds (docs/operations.md, "Compaction", has a measured figure). For its
    /// duration it holds the database's write lock: this adapter's writes queue behind it and other processes' writes
    /// wait (and fail with <see cref="PersistenceErrorKind.Busy"/> if it outlasts their
    /// <see cref="PersistenceAdapterOptions.BusyTimeout"/>); other processes' readers, and this adapter's reads on its
    /// reader connections, go on reading their snapshot (an adapter whose reads go through its writer, with
    /// <see cref="SqliteOpenOptions.Exclusive"/>, no <see cref="SqliteOpenOptions.ReaderConnections"/> or a borrowed
    /// handle, reads after it). It waits
    /// for a busy database (another process writing) with backoff within this adapter's
    /// <see cref="PersistenceAdapterOptions.BusyTimeout"/>, then fails with <see cref="PersistenceErrorKind.Busy"/>
    /// having changed nothing. The checkpoint then waits, within what is left of the same timeout (counted from the
    /// call, the <c>VACUUM</c>'s own time included), for readers of older snapshots to finish; if one does not, the
    /// result says so (<see cref="CompactResult.IsComplete"/>). A read-only adapter
    /// fails with <see cref="PersistenceErrorKind.ReadOnly"/>; a borrowed handle with a transaction open fails
    /// (<c>VACUUM</c> cannot run inside one). <c>:memory:</c> is compacted too; its sizes read 0.
    /// </para>
    /// <para>
    /// <b>PostgreSQL</b>: a plain <c>VACUUM</c> of the library's tables (not <c>VACUUM FULL</c>, which takes an
    /// <c>ACCESS EXCLUSIVE</c> lock and rewrites every table): it runs beside reads and writes, and makes the space
    /// of dead rows reusable for new ones, but gives it back to the operating system only where whole pages at a
    /// table's end are empty. Shrinking the files is the operator's choice (<c>VACUUM FULL</c>, <c>pg_repack</c>).
    /// It runs without Npgsql's command timeout (cancel it with <paramref name="cancellationToken"/>); a role that
    /// does not own the tables gets the server's warnings, and nothing is vacuumed.
    /// </para>
    /// <para><b>In memory</b>: nothing to compact (deleted rows are gone at once); the sizes read 0.</para>
    /// </remarks>
    /// <param name="cancellationToken">
    /// Cancels the wait for a busy database (and on PostgreSQL the <c>VACUUM</c> itself); a SQLite <c>VACUUM</c> that
    /// started runs to its end, and a cancellation after it committed ends the checkpoint's wait: the result then says
    /// what was done, with <see cref="CompactResult.IsComplete"/> <see langword="false"/>.
    /// </param>
    /// <returns>The store's size before and after, and how long it took.</returns>
    /// <exception cref="PersistenceException">The store stayed busy, is read-only, or the disk is full (nothing changed).</exception>
    ValueTask<CompactResult> CompactAsync(CancellationToken cancellationToken = default);
}
