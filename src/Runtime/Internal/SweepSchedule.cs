namespace NativeAotPersistence;

/// <summary>
/// When a write also reclaims expired rows: every <see cref="Interval"/>-th write, up to <see cref="Batch"/> rows (more
/// than the writes in between can add, so a steady TTL workload stays bounded) — and only once something this adapter
/// wrote can have expired, so writes without TTLs never pay for a sweep.
/// </summary>
internal sealed class SweepSchedule
{
    public const int Interval = 32;
    public const int Batch = 64;

    private int _writes;
    private long _earliestExpiry = long.MaxValue;

    /// <summary>Records a write's expiry and says whether this write should sweep.</summary>
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
    public void Swept(int removed)
    {
        if (removed is >= 0 and < Batch)
        {
            Volatile.Write(ref _earliestExpiry, long.MaxValue);
        }
    }
}
