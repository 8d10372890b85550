using System.Diagnostics;
using System.Globalization;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// The store-level part of the admin API: the statistics' schema version, file, size and pages, and compaction
/// (<c>VACUUM</c>, then a truncating WAL checkpoint).
/// </summary>
internal sealed class SqliteStoreStats(SqliteContext context) : IAdminSource, ICompactable
{
    private const string CompactOp = "admin.compact";

    public unsafe ValueTask<PersistenceStats> AddStatsAsync(PersistenceStats stats, CancellationToken cancellationToken) =>
        context.Pool.ReadAsync("admin.stats", stats, &StatsBody, cancellationToken);

    public unsafe ValueTask<CompactResult> CompactAsync(CancellationToken cancellationToken)
    {
        // One call of the pool, which retries the body while it reports busy. Not an async method of its own: its state
        // machine and a second instantiation of the pool's slow path cost the size-gated sample more than 3 KB.
        var pool = context.Pool;
        var state = new Compaction(pool.BusyTimeout, cancellationToken);
        var task = pool.WriteAloneAsync(CompactOp, state, &CompactBody, cancellationToken);
        return task.IsCompleted ? task : CompactedAfterAsync(task, state);
    }

    /// <summary>
    /// A cancellation that arrives once the VACUUM committed (while the checkpoint waits for a reader) cannot undo it: the
    /// call then returns what was done, incomplete, rather than an exception that would say nothing changed.
    /// </summary>
    private static async ValueTask<CompactResult> CompactedAfterAsync(ValueTask<CompactResult> task, Compaction s)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (s.Before >= 0)
        {
            return new CompactResult { SizeBefore = s.Before, SizeAfter = SizeOnDisk(s.DataSource), Elapsed = Stopwatch.GetElapsedTime(s.Started), IsComplete = false };
        }
    }

    /// <summary>
    /// VACUUM (once: a busy database is retried by the pool, nothing done), then the truncating checkpoint, retried as
    /// busy while it cannot finish and the busy timeout allows.
    /// </summary>
    private static CompactResult CompactBody(SqliteConnection c, Compaction s)
    {
        if (s.Before < 0)
        {
            // The pool's gate admits a cancelled call when it is free: nothing may start then.
            s.Token.ThrowIfCancellationRequested();

            // A read-only connection refuses with SQLITE_READONLY before it writes anything: PersistenceErrorKind.ReadOnly.
            var before = SizeOnDisk(c.DataSource);
            c.ExecuteScript("VACUUM", CompactOp);
            s.DataSource = c.DataSource;
            s.Before = before;
        }

        // The VACUUM committed into the WAL; the checkpoint moves it into the file, cuts the file to its new size and
        // empties the WAL. It answers one row: busy (1 when it could not finish, as while another connection reads an
        // older snapshot), the WAL's frames, the frames moved. A database not in WAL mode (a borrowed handle's rollback
        // journal, :memory:) answers 0 at once, VACUUM having shrunk its file already.
        var done = c.QueryText("PRAGMA wal_checkpoint(TRUNCATE)", CompactOp) is not "1";

        // Retried (the pool backs off, the gate released) until shortly before the pool's own busy timeout, which runs
        // from the same start: past it the pool would fail the call, and the VACUUM is committed.
        // A cancelled call stops waiting, and returns what was done (the VACUUM cannot be undone).
        var elapsed = Stopwatch.GetElapsedTime(s.Started);
        if (!done && elapsed.Ticks < s.RetryForTicks && !s.Token.IsCancellationRequested)
        {
            throw new SqliteBusyException(SQLITE_BUSY, "another connection reads an older snapshot");
        }

        return new CompactResult { SizeBefore = s.Before, SizeAfter = SizeOnDisk(c.DataSource), Elapsed = elapsed, IsComplete = done };
    }

    private static PersistenceStats StatsBody(SqliteConnection c, PersistenceStats stats)
    {
        const string op = "admin.stats";
        return stats with
        {
            SchemaVersion = int.Parse(SqliteSchema.ReadMeta(c, "schema_version"u8, op) ?? "0", CultureInfo.InvariantCulture),
            DataSource = c.DataSource,
            SizeOnDisk = SizeOnDisk(c.DataSource),
            PageSize = long.Parse(c.QueryText("PRAGMA page_size", op) ?? "0", CultureInfo.InvariantCulture),
            PageCount = long.Parse(c.QueryText("PRAGMA page_count", op) ?? "0", CultureInfo.InvariantCulture),
            FreePages = long.Parse(c.QueryText("PRAGMA freelist_count", op) ?? "0", CultureInfo.InvariantCulture),
        };
    }

    private static long SizeOnDisk(string dataSource)
    {
        if (dataSource == ":memory:")
        {
            return 0;
        }

        static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        return Length(dataSource) + Length(dataSource + "-wal");
    }

    /// <summary>One compaction's progress, kept across the pool's retries of <see cref="CompactBody"/>.</summary>
    /// <param name="busyTimeout">The pool's busy timeout.</param>
    /// <param name="token">The caller's cancellation token.</param>
    private sealed class Compaction(TimeSpan busyTimeout, CancellationToken token)
    {
        public readonly CancellationToken Token = token;

        /// <summary>When the compaction started (just before the pool's call, whose busy timeout runs from its own start).</summary>
        public readonly long Started = Stopwatch.GetTimestamp();

        /// <summary>
        /// How long (in <see cref="TimeSpan"/> ticks) a checkpoint that cannot finish is retried: 100 ms less than the
        /// busy timeout, more than the pool's largest backoff.
        /// </summary>
        public readonly long RetryForTicks = busyTimeout.Ticks - (100 * TimeSpan.TicksPerMillisecond);

        /// <summary>The size before the VACUUM; negative until it committed.</summary>
        public long Before = -1;

        /// <summary>The file compacted, once the VACUUM committed.</summary>
        public string DataSource = ":memory:";
    }
}
