namespace NativeAotPersistence;

/// <summary>
/// The settings of <c>services.AddNativeAotPersistence(...)</c>: where the data lives and how the adapter behaves.
/// Mutable so that it can be configured in code or bound from configuration (the configuration binder's source
/// generator binds every property; the code-only <see cref="UsePayloads"/> and <see cref="UseAdapter"/> are methods, which binders skip).
/// </summary>
/// <remarks>
/// Validated when the host starts (<c>ValidateOnStart</c>), with a message naming the setting at fault. By default the
/// adapter is a <see cref="SqliteAdapter"/> over <see cref="Path"/>; <see cref="UseAdapter"/> supplies any other
/// <see cref="IPersistenceAdapter"/>, such as a <c>PostgresAdapter</c>.
/// </remarks>
public sealed class NativeAotPersistenceOptions
{
    /// <summary>
    /// Gets or sets the SQLite database file (created if missing), or <c>:memory:</c> for a private in-memory
    /// database. Required unless <see cref="UseAdapter"/> supplies the adapter.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Gets or sets the prefix that namespaces every key, task id and checkpoint id. The default is empty.</summary>
    /// <seealso cref="PersistenceAdapterOptions.KeyPrefix"/>
    public string KeyPrefix { get; set; } = "";

    /// <summary>
    /// Gets or sets where locks live. The default is <see cref="NativeAotPersistence.LockScope.Database"/> (shared by every
    /// process using the store); <see cref="NativeAotPersistence.LockScope.Process"/> is the opt-in in-memory fast path.
    /// </summary>
    /// <seealso cref="PersistenceAdapterOptions.LockScope"/>
    public LockScope LockScope { get; set; } = LockScope.Database;

    /// <summary>Gets or sets the TTL of lock overloads that take none: finite, positive, at most 30 days. The default is 30 seconds.</summary>
    /// <seealso cref="PersistenceAdapterOptions.DefaultLockTtl"/>
    public TimeSpan DefaultLockTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long an operation waits for a busy database: zero or positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/>. The default is 5 seconds.
    /// </summary>
    /// <seealso cref="PersistenceAdapterOptions.BusyTimeout"/>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets whether connecting creates missing tables (<see langword="false"/>: only validates). The default is <see langword="true"/>.</summary>
    /// <seealso cref="PersistenceAdapterOptions.CreateTables"/>
    public bool CreateTables { get; set; } = true;

    /// <summary>Gets or sets the durability of SQLite writes. The default is <see cref="SqliteDurability.Normal"/>. Ignored with <see cref="UseAdapter"/>.</summary>
    /// <seealso cref="SqliteOpenOptions.Durability"/>
    public SqliteDurability Durability { get; set; } = SqliteDurability.Normal;

    /// <summary>
    /// Gets or sets whether the SQLite file is opened in exclusive locking mode (faster; no other process may use it).
    /// The default is <see langword="false"/>. Ignored with <see cref="UseAdapter"/>.
    /// </summary>
    /// <seealso cref="SqliteOpenOptions.Exclusive"/>
    public bool Exclusive { get; set; }

    /// <summary>
    /// Gets or sets how many read-only SQLite connections serve reads: zero or more. The default is
    /// <see cref="SqliteOpenOptions.DefaultReaderConnections"/> (the processor count, 2 to 16). Ignored with <see cref="UseAdapter"/>.
    /// </summary>
    /// <seealso cref="SqliteOpenOptions.ReaderConnections"/>
    public int ReaderConnections { get; set; } = SqliteOpenOptions.DefaultReaderConnections;

    /// <summary>
    /// Gets or sets how long an operation must wait for a busy database (or retry a transient PostgreSQL failure)
    /// before the wait is logged as a warning; one that gives up is always logged as an error. Default: 1 second.
    /// </summary>
    public TimeSpan BusyWaitLogThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The serializers set by <see cref="UsePayloads"/>, or <see langword="null"/>.</summary>
    /// <remarks>A field: the configuration binder's source generator inspects even internal properties.</remarks>
    private PayloadContext? _payloads;

    /// <summary>Gets the serializers set by <see cref="UsePayloads"/>, or <see langword="null"/>.</summary>
    internal PayloadContext? GetPayloads() => _payloads;

    /// <summary>Gets the factory set by <see cref="UseAdapter"/>, or <see langword="null"/> for the SQLite default.</summary>
    internal Func<IServiceProvider, PersistenceAdapterOptions, IPersistenceAdapter>? AdapterFactory { get; private set; }

    /// <summary>
    /// Supplies the adapter instead of a <see cref="SqliteAdapter"/> over <see cref="Path"/>: for example
    /// <c>o.UseAdapter((_, options) =&gt; PostgresAdapter.Create(connectionString, options))</c>.
    /// </summary>
    /// <param name="factory">
    /// Creates the adapter, not connected yet, from the services and the adapter options built from these settings
    /// (key prefix, lock scope and TTL, busy timeout, tables, payloads, and the <see cref="TimeProvider"/> registered in
    /// the services, else <see cref="TimeProvider.System"/>). The hosted service connects it at start-up; the
    /// service provider disposes it.
    /// </param>
    /// <returns>These options, for chaining.</returns>
    public NativeAotPersistenceOptions UseAdapter(Func<IServiceProvider, PersistenceAdapterOptions, IPersistenceAdapter> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        AdapterFactory = factory;
        return this;
    }

    /// <summary>
    /// Sets the generated serializers of your payload types (a <see cref="PayloadContext"/>, or several joined with
    /// <see cref="PayloadContext.Combine"/>): the adapter's <see cref="PersistenceAdapterOptions.Payloads"/>, and what the
    /// HybridCache serializer factory uses when it is given none.
    /// </summary>
    /// <remarks>
    /// A method, not a property, on purpose (as <see cref="UseAdapter"/>): configuration binders bind properties only, so
    /// this code-only setting never reaches them, and the binder's source generator has no type it cannot bind.
    /// </remarks>
    /// <param name="payloads">The serializers.</param>
    /// <returns>These options, for chaining.</returns>
    public NativeAotPersistenceOptions UsePayloads(PayloadContext payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        _payloads = payloads;
        return this;
    }
}
