namespace NativeAotPersistence;

/// <summary>A semaphore's live state: its limit and who holds its permits, ordered by fencing token.</summary>
/// <param name="key">The key, without prefix.</param>
/// <param name="permits">The limit its live permits were granted with.</param>
/// <param name="holders">The live permits.</param>
public sealed class SemaphoreInfo(string key, int permits, IReadOnlyList<SemaphoreHolder> holders)
{
    /// <summary>Gets the key, without prefix.</summary>
    public string Key { get; } = key;

    /// <summary>Gets the limit its live permits were granted with.</summary>
    public int Permits { get; } = permits;

    /// <summary>Gets the live permits, ordered by fencing token.</summary>
    public IReadOnlyList<SemaphoreHolder> Holders { get; } = holders;
}

/// <summary>One live permit of a semaphore.</summary>
/// <param name="owner">Its owner.</param>
/// <param name="expiresAt">When it expires unless renewed.</param>
/// <param name="fencingToken">Its fencing token, from the store's one counter (the same as locks').</param>
public sealed class SemaphoreHolder(string owner, DateTimeOffset expiresAt, long fencingToken)
{
    /// <summary>Gets its owner.</summary>
    public string Owner { get; } = owner;

    /// <summary>Gets when it expires unless renewed.</summary>
    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>Gets its fencing token, from the store's one counter (the same as locks').</summary>
    public long FencingToken { get; } = fencingToken;

    /// <summary>
    /// Gets the process that holds the permit, as its row records it (Linux and in memory; see <see cref="LockInfo.Holder"/>),
    /// or <see langword="null"/>.
    /// </summary>
    public LockHolder? Holder { get; init; }
}
