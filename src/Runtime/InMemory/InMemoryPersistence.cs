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

    private volatile bool _connected;

    /// <summary>Creates an adapter; call <see cref="ConnectAsync"/> before using the providers.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="store">The data to use; <see langword="null"/> for a new, empty store of this adapter's own.</param>
    public InMemoryPersistence(PersistenceAdapterOptions? options = null, InMemoryStore? store = null)
    {
        Options = AdapterOptions.Validate(options ?? new PersistenceAdapterOptions());
        Store = store ?? new InMemoryStore();
        Cache = new InMemoryCacheProvider(this);
        Locks = Options.LockScope == LockScope.Database ? new InMemoryLockProvider(this) : new ProcessLockProvider(this, Options, DataSource);
        CircuitBreakers = new InMemoryCircuitBreakerStateProvider(this);
        Checkpoints = new InMemoryCheckpointProvider(this);
        Idempotency = new InMemoryIdempotencyProvider(this);
    }

    /// <summary>Gets the options this adapter was created with.</summary>
    public PersistenceAdapterOptions Options { get; }

    /// <summary>Gets the store that holds this adapter's data.</summary>
    public InMemoryStore Store { get; }

    /// <inheritdoc />
    public bool IsConnected => _connected;

    /// <inheritdoc />
    public ICacheProvider Cache { get; }

    /// <inheritdoc />
    public ILockProvider Locks { get; }

    /// <inheritdoc />
    public ICircuitBreakerStateProvider CircuitBreakers { get; }

    /// <inheritdoc />
    public ICheckpointProvider Checkpoints { get; }

    /// <inheritdoc />
    public IIdempotencyProvider Idempotency { get; }

    /// <inheritdoc />
    public PersistenceProviders Providers => new()
    {
        Cache = Cache,
        Lock = Locks,
        CircuitBreaker = CircuitBreakers,
        Checkpoint = Checkpoints,
        Idempotency = Idempotency,
    };

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
            (Locks as ProcessLockProvider)?.Table.Clear();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Disconnects; the <see cref="Store"/> keeps the data.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => DisconnectAsync(CancellationToken.None);

    /// <inheritdoc />
    public ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default)
    {
        EnsureConnected();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PruneResult>(cancellationToken);
        }

        var now = Ttl.NowMs(Options.TimeProvider);
        var cache = ((InMemoryCacheProvider)Cache).Prune(now);
        var idempotency = ((InMemoryIdempotencyProvider)Idempotency).Prune(now);
        var locks = Locks switch
        {
            InMemoryLockProvider database => database.Prune(now),
            ProcessLockProvider process => process.Table.Prune(now),
            _ => 0,
        };
        return new ValueTask<PruneResult>(new PruneResult(cache, idempotency, locks));
    }

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
