namespace NativeAotPersistence;

/// <summary>A semaphore's live state: its limit and who holds its permits, ordered by fencing token.</summary>
/// <param name="Key">The key, without prefix.</param>
/// <param name="Permits">The limit its live permits were granted with.</param>
/// <param name="Holders">The live permits.</param>
public sealed record SemaphoreInfo(string Key, int Permits, IReadOnlyList<SemaphoreHolder> Holders);

/// <summary>One live permit of a semaphore.</summary>
/// <param name="Owner">Its owner.</param>
/// <param name="ExpiresAt">When it expires unless renewed.</param>
/// <param name="FencingToken">Its fencing token, from the store's one counter (the same as locks').</param>
public sealed record SemaphoreHolder(string Owner, DateTimeOffset ExpiresAt, long FencingToken)
{
    /// <summary>
    /// Gets the process that holds the permit, as its row records it (Linux and in memory; see <see cref="LockInfo.Holder"/>),
    /// or <see langword="null"/>.
    /// </summary>
    public LockHolder? Holder { get; init; }
}
