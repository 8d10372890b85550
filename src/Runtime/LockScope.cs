namespace NativeAotPersistence;

/// <summary>Where an adapter keeps its locks.</summary>
public enum LockScope
{
    /// <summary>
    /// Opt-in: in memory with a TTL, per adapter, like the original: fastest, but not shared with any other process or
    /// adapter. Use it only when one process is the store's only user.
    /// </summary>
    Process,

    /// <summary>
    /// The default: stored in the database, so mutual exclusion holds between every process (and adapter) using it; a
    /// holder that died on the same host is taken over at once, one on another host after its TTL.
    /// </summary>
    Database,
}
