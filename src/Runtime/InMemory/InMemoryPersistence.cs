using NativeAotPersistence.InMemory;

namespace NativeAotPersistence;

/// <summary>
/// The in-memory backend: the five providers with the same observable behavior as <see cref="SqliteAdapter"/>,
/// without SQLite. Use it in tests, or where nothing needs to survive the process.
/// </summary>
/// <remarks>
/// <para>
/// Values are stored serialized (UTF-8 JSON through the same <see cref="PayloadTypeInfo{T}"/>), so an unregistered or
/// mismatched type fails the same way, and a stored object cannot be changed through a reference the caller kept.
/// Times are truncated to milliseconds, keys are listed in the same order, and every expiry reads
/// <see cref="PersistenceAdapterOptions.TimeProvider"/>.
/// </para>
/// <para>
/// The data lives in an <see cref="InMemoryStore"/>; adapters that share one behave like adapters on one database
/// file (including <see cref="LockScope.Database"/> locks). Every operation completes synchronously. Every member is
/// thread-safe.
/// </para>
/// </remarks>
public sealed class InMemoryPersistence : IPersistenceAdapter, IAdapterLifecycle
{
    /// <summary>The data source named in errors.</summary>
    internal const string DataSource = "in-memory";

    private readonly AdapterCore _core;

    /// <summary>Gets the kinds' core (for <see cref="InMemoryContext"/>).</summary>
    internal AdapterCore Core => _core;
    private volatile bool _connected;

    /// <summary>Creates an adapter; call <see cref="ConnectAsync"/> before using the providers.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="store">The data to use; <see langword="null"/> for a new, empty store of this adapter's own.</param>
    public InMemoryPersistence(PersistenceAdapterOptions? options = null, InMemoryStore? store = null)
    {
        Options = AdapterOptions.Validate(options ?? new PersistenceAdapterOptions());
        Store = store ?? new InMemoryStore();
        // The one place the in-memory backend registers its kinds (their tables are InMemoryStore's).
        var context = new InMemoryContext(this);
        _core = new AdapterCore(Options, DataSource, this, new BackendProviders
        {
            Cache = new InMemoryCacheProvider(context),
            DatabaseLocks = () => new InMemoryLockProvider(context),
            CircuitBreakers = new InMemoryCircuitBreakerStateProvider(context),
            Checkpoints = new InMemoryCheckpointProvider(context),
            Idempotency = new InMemoryIdempotencyProvider(context),
            Semaphores = new InMemorySemaphoreProvider(context),
            RateLimits = new InMemoryRateLimitProvider(context),
            Store = new InMemoryStoreStats(context),
        });
    }

    /// <summary>Gets the options this adapter was created with.</summary>
    public PersistenceAdapterOptions Options { get; }

    /// <summary>Gets the store that holds this adapter's data.</summary>
    public InMemoryStore Store { get; }

    /// <inheritdoc />
    public bool IsConnected => _connected;

    /// <inheritdoc />
    public ICacheProvider Cache => _core.Cache;

    /// <inheritdoc />
    public ILockProvider Locks => _core.Locks;

    /// <inheritdoc />
    public ICircuitBreakerStateProvider CircuitBreakers => _core.CircuitBreakers;

    /// <inheritdoc />
    public ICheckpointProvider Checkpoints => _core.Checkpoints;

    /// <inheritdoc />
    public IIdempotencyProvider Idempotency => _core.Idempotency;

    /// <inheritdoc />
    public ISemaphoreProvider Semaphores => _core.Semaphores;

    /// <inheritdoc />
    public IRateLimitProvider RateLimits => _core.RateLimits;

    /// <inheritdoc />
    public PersistenceProviders Providers => _core.Providers;

    /// <inheritdoc />
    public IPersistenceAdmin Admin => _core.Admin;

    /// <inheritdoc />
    public ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _connected = true;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisconnectAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_connected)
        {
            _connected = false;

            // Process-scope locks live and die with the adapter's connection, as on SQLite.
            _core.OnDisconnected();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Disconnects; the <see cref="Store"/> keeps the data.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => DisconnectAsync(CancellationToken.None);

    /// <inheritdoc />
    public ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default) => _core.PruneAsync(cancellationToken);

    /// <summary>Throws the lifecycle error every provider reports before connect or after disconnect.</summary>
    internal void EnsureConnected()
    {
        if (!_connected)
        {
            ThrowNotConnected();
        }
    }

    void IAdapterLifecycle.EnsureConnected() => EnsureConnected();

    private static void ThrowNotConnected() => throw new InvalidOperationException(
        "The in-memory adapter is not connected: call ConnectAsync before using its providers, and not after DisconnectAsync or DisposeAsync.");
}
