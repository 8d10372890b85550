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
/// sweep must not fail the write) and reports the count to <see cref="Swept"/> (-1 when the sweep failed).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SweepSchedule
{
    internal const int Interval = 32;

    /// <summary>The most expired rows one sweep deletes.</summary>
    public const int Batch = 64;

    private int _writes;
    private long _earliestExpiry = long.MaxValue;

    /// <summary>Records a write's expiry and says whether this write should sweep.</summary>
    /// <param name="expiresAtMs">The expiry the write stored, or <see langword="null"/> for none.</param>
    /// <param name="nowMs">The time of the write.</param>
    /// <returns>Whether the write should be followed by a sweep of up to <see cref="Batch"/> rows.</returns>
    public bool OnWrite(long? expiresAtMs, long nowMs)
    {
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

        return Interlocked.Increment(ref _writes) % Interval == 0 && nowMs >= Volatile.Read(ref _earliestExpiry);
    }

    /// <summary>
    /// After a sweep that found fewer rows than its batch, every row known to have expired is gone. Rows that expire
    /// later are reclaimed by the sweep that follows the next expiring write, or by PruneAsync.
    /// </summary>
    /// <param name="removed">The rows the sweep deleted, or -1 when it failed.</param>
    public void Swept(int removed)
    {
        if (removed is >= 0 and < Batch)
        {
            Volatile.Write(ref _earliestExpiry, long.MaxValue);
        }
    }
}
