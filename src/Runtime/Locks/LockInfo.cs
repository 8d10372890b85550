namespace NativeAotPersistence;

/// <summary>The live holder of a lock.</summary>
/// <param name="Key">The lock's key, without prefix.</param>
/// <param name="Owner">The owner that holds it.</param>
/// <param name="ExpiresAt">When it expires unless extended.</param>
/// <param name="FencingToken">The token handed to this holder.</param>
public sealed record LockInfo(string Key, string Owner, DateTimeOffset ExpiresAt, long FencingToken)
{
    /// <summary>
    /// Gets the process that holds the lock, as its row records it: <see cref="LockScope.Database"/> locks taken on
    /// Linux (an in-memory store's are all this process's). <see langword="null"/> for <see cref="LockScope.Process"/>
    /// locks, and for rows that recorded no holder for their owner (another platform, a file written before holders
    /// were recorded, or a row an older release rewrote for another owner).
    /// </summary>
    public LockHolder? Holder { get; init; }
}
