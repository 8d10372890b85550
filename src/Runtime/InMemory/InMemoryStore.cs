using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>
/// The data of <see cref="InMemoryPersistence"/>: what a database file is to <see cref="SqliteAdapter"/>. Share one
/// store between several adapters to model several connections or processes on one database file.
/// </summary>
/// <remarks>
/// Adapters that share a store see each other's rows exactly as adapters sharing a SQLite file do: namespaced by
/// <see cref="PersistenceAdapterOptions.KeyPrefix"/>, with <see cref="LockScope.Database"/> locks and one fencing
/// counter for the whole store. The store lives as long as it is referenced; disconnecting an adapter keeps its data.
/// Every member is thread-safe.
/// </remarks>
public sealed class InMemoryStore
{
    private static long s_lastId;
    private long _fencingCounter;

    /// <summary>Creates an empty store.</summary>
    public InMemoryStore()
    {
    }

    /// <summary>Gets a number that tells this store from every other of the process (what a file path is to SQLite).</summary>
    internal long Id { get; } = Interlocked.Increment(ref s_lastId);

    internal ExpiringTable Cache { get; } = new();

    internal ExpiringTable Idempotency { get; } = new();

    internal CircuitTable Circuits { get; } = new();

    internal CheckpointTable Checkpoints { get; } = new();

    internal LockTable Locks { get; } = new();

    internal SemaphoreTable Semaphores { get; } = new();

    internal RateLimitTable RateLimits { get; } = new();

    /// <summary>Takes the store's next fencing token: one counter for every lease-holding kind, as SQLite keeps one in its meta table.</summary>
    internal long NextFencingToken() => Interlocked.Increment(ref _fencingCounter);
}
