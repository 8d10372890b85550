namespace NativeAotPersistence.InMemory;

/// <summary>The live and expired counts of an <see cref="ExpiringTable"/>'s namespace, for the admin statistics.</summary>
internal static class InMemoryCounts
{
    /// <summary>Counts the namespace's rows (the caller holds the table's lock).</summary>
    public static RowCounts Of(ExpiringTable table, KeyNamespace ns, long nowMs)
    {
        int live = 0, expired = 0;
        foreach (var (key, row) in table.Rows)
        {
            if (ns.Contains(key))
            {
                _ = Ttl.IsLive(row.LiveUntilMs, nowMs) ? live++ : expired++;
            }
        }

        return new RowCounts(live, expired);
    }
}
