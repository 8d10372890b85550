namespace NativeAotPersistence.InMemory;

/// <summary>
/// What an in-memory provider gets from its adapter, and nothing more: the store, the options, the lifecycle check, and
/// the lease store of the adapter's <see cref="LockScope.Database"/> locks for helpers that need another kind's
/// machinery (<see cref="ExecuteOnce"/>'s lease). Providers never see the adapter itself.
/// </summary>
internal sealed class InMemoryContext(InMemoryPersistence adapter)
{
    /// <summary>Gets the data.</summary>
    public InMemoryStore Store => adapter.Store;

    /// <summary>Gets whether the adapter is connected.</summary>
    public bool IsConnected => adapter.IsConnected;

    /// <summary>Gets the adapter's options.</summary>
    public PersistenceAdapterOptions Options => adapter.Options;

    /// <summary>Gets the adapter's <see cref="LockScope.Database"/> lease store, or <see langword="null"/> in <see cref="LockScope.Process"/>.</summary>
    public ILeaseStore? DatabaseLeases => adapter.Options.LockScope == LockScope.Database ? adapter.Locks as ILeaseStore : null;

    /// <summary>Gets the backend's <see cref="LockScope.Database"/> lease store whatever the adapter's scope (<see cref="AdapterCore.DatabaseLeases"/>).</summary>
    public ILeaseStore AnyScopeLeases => adapter.Core.DatabaseLeases;

    /// <summary>Throws the lifecycle error every provider reports before connect or after disconnect.</summary>
    public void EnsureConnected() => adapter.EnsureConnected();
}
