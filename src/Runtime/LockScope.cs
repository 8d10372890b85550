namespace NativeAotPersistence;

/// <summary>Where an adapter keeps its locks.</summary>
public enum LockScope
{
    /// <summary>In memory with a TTL, per adapter, like the original: fastest, not shared between processes.</summary>
    Process,

    /// <summary>Stored in the database: mutual exclusion between every process (and adapter) using it.</summary>
    Database,
}
