using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: when a write also reclaims expired rows: every 32nd write, up to <see cref="Batch"/> rows (more than the
/// writes in between can add, so a steady TTL workload stays bounded) — and only once something this adapter wrote can
/// have expired, so writes without TTLs never pay for a sweep. Thread-safe; one per adapter and kind.
/// </summary>
/// <remarks>
/// A backend calls <see cref="OnWrite"/> for every write with an expiry; when it answers <see langword="true"/>, it
/// deletes up to <see cref="Batch"/> expired rows of its namespace after the write committed (best effort: a failed
/// sweep must not fail the write) and reports the count to <see cref="Swept(int)"/> (-1 when the sweep failed).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SweepSchedule
{
    internal const int Interval = 32;

    /// <summary>The most expired rows one sweep deletes.</summary>
    public const int Batch = 64;

    private long _writes;
    private long _earliestExpiry = long.MaxValue;

    /// <summary>Records a write's expiry and says whether this write should sweep.</summary>
    /// <param name="expiresAtMs">The expiry the write stored, or <see langword="null"/> for none.</param>
    /// <param name="nowMs">The time of the write.</param>
    /// <returns>Whether the write should be followed by a sweep of up to <see cref="Batch"/> rows.</returns>
    public bool OnWrite(long? expiresAtMs, long nowMs) => OnWrites(expiresAtMs, nowMs, 1) > 0;

    /// <summary>
    /// Records a batch of <paramref name="count"/> writes stored with one expiry (SetManyAsync) and says how many rows
    /// to sweep after it: <see cref="Batch"/> for each 32nd write the batch passes, so a batch sweeps what as many single
    /// writes would have, and the rows a steady workload of batches leaves expired stay bounded too.
    /// </summary>
    /// <param name="expiresAtMs">The expiry every write of the batch stored, or <see langword="null"/> for none.</param>
    /// <param name="nowMs">The time of the writes.</param>
    /// <param name="count">How many writes the batch holds (0 or more).</param>
    /// <returns>The most rows to sweep after the batch (0: no sweep); pass it to <see cref="Swept(int, int)"/> with the rows removed.</returns>
    public int OnWrites(long? expiresAtMs, long nowMs, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (expiresAtMs is { } expiry)
        {
            var seen = Volatile.Read(ref _earliestExpiry);
            while (expiry < seen)
            {
                var previous = Interlocked.CompareExchange(ref _earliestExpiry, expiry, seen);
                if (previous == seen)
                {
                    break;
                }

                seen = previous;
            }
        }

        var after = Interlocked.Add(ref _writes, count);
        var crossed = (int)((after / Interval) - ((after - count) / Interval));
        return crossed > 0 && nowMs >= Volatile.Read(ref _earliestExpiry) ? (int)Math.Min((long)crossed * Batch, int.MaxValue) : 0;
    }

    /// <summary>
    /// After a sweep that found fewer rows than its batch, every row known to have expired is gone. Rows that expire
    /// later are reclaimed by the sweep that follows the next expiring write, or by PruneAsync.
    /// </summary>
    /// <param name="removed">The rows the sweep deleted, or -1 when it failed.</param>
    public void Swept(int removed) => Swept(removed, Batch);

    /// <summary>After a sweep of up to <paramref name="limit"/> rows that found fewer, every row known to have expired is gone.</summary>
    /// <param name="removed">The rows the sweep deleted, or -1 when it failed.</param>
    /// <param name="limit">The most rows the sweep was to delete (what <see cref="OnWrites"/> answered).</param>
    public void Swept(int removed, int limit)
    {
        if (removed >= 0 && removed < limit)
        {
            Volatile.Write(ref _earliestExpiry, long.MaxValue);
        }
    }
}
