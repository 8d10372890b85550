namespace NativeAotPersistence;

/// <summary>How hard an owned SQLite file works to survive a power loss.</summary>
public enum SqliteDurability
{
    /// <summary>
    /// WAL with <c>synchronous=NORMAL</c>: a process crash loses nothing acknowledged; a power loss may lose the last
    /// transactions but never corrupts the file.
    /// </summary>
    Normal,

    /// <summary>WAL with <c>synchronous=FULL</c>: every acknowledged write also survives a power loss. Slower on real disks.</summary>
    Full,
}
