namespace NativeAotPersistence;

/// <summary>Options shared by every <see cref="IPersistenceAdapter"/> implementation.</summary>
public sealed class PersistenceAdapterOptions
{
    /// <summary>
    /// Gets the prefix that namespaces every key, task id and checkpoint id this adapter stores. Two adapters with
    /// different prefixes never see each other's rows. The default is the empty string.
    /// </summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>
    /// Gets the TTL used by lock overloads that take none (and by the lease of ExecuteOnce): finite, positive, at most
    /// 30 days. The default is 30 seconds.
    /// </summary>
    public TimeSpan DefaultLockTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets whether <see cref="IPersistenceAdapter.ConnectAsync"/> creates missing tables. When <see langword="false"/>,
    /// connecting only validates the schema and names what is missing. The default is <see langword="true"/>.
    /// </summary>
    public bool CreateTables { get; init; } = true;

    /// <summary>
    /// Gets the generated serializers used by generic methods that take no <see cref="PayloadTypeInfo{T}"/>.
    /// Built-in types (strings, numbers, <see cref="Guid"/>, dates, <see cref="byte"/> arrays) need none.
    /// </summary>
    public PayloadContext? Payloads { get; init; }

    /// <summary>
    /// Gets the clock that decides every expiry, on every backend. Processes sharing one store must keep their
    /// clocks in sync. The default is <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Gets where locks (and the lease behind <see cref="IIdempotencyProvider.ExecuteOnceAsync{T}(string, TimeSpan?, Func{CancellationToken, ValueTask{T}}, CancellationToken)"/>)
    /// are kept. The default is <see cref="LockScope.Database"/>: a lock is a row of the store, so every process (and
    /// every adapter) using the same file or server is excluded. <see cref="LockScope.Process"/> is the opt-in fast path
    /// for a store only one process ever uses.
    /// </summary>
    public LockScope LockScope { get; init; } = LockScope.Database;

    /// <summary>
    /// Gets how long an operation waits (asynchronously, with backoff) for a database that another connection or
    /// process holds busy before it fails with <see cref="PersistenceErrorKind.Busy"/>. The default is 5 seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
