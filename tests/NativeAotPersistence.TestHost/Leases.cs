using System.Globalization;
using NativeAotPersistence;

/// <summary>The test host's commands about leases: holders to kill, a lock storm with a witness log, and a writer that blocks.</summary>
internal static class Leases
{
    /// <summary>
    /// <c>hold-lock &lt;db&gt; &lt;key&gt; &lt;ttlMs&gt;</c>: takes a <see cref="LockScope.Database"/> lock (no renewal) and prints
    /// "HELD &lt;token&gt; &lt;pid&gt;", then holds it until stdin closes or a line arrives (or two minutes pass). The parent kills it
    /// to leave a dead holder behind.
    /// </summary>
    public static async Task<string> HoldAsync(string database, string key, int ttlMs, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        var handle = await adapter.Locks.AcquireAsync(key, TimeSpan.FromMilliseconds(ttlMs), $"holder-{Environment.ProcessId}")
            ?? throw new InvalidOperationException("The lock is held by someone else.");
        Ack(string.Create(CultureInfo.InvariantCulture, $"HELD {handle.FencingToken} {Environment.ProcessId}"));
        await Task.WhenAny(Task.Run(Console.ReadLine), Task.Delay(TimeSpan.FromMinutes(2)));
        await handle.ReleaseAsync();
        return "RELEASED";
    }

    /// <summary>
    /// <c>lease-storm &lt;db&gt; &lt;log&gt; &lt;seconds&gt; &lt;ttlMinMs&gt; &lt;ttlMaxMs&gt; &lt;holdMs&gt; [barrier]</c>: for the given time, waits
    /// for the lock "storm" (auto-renewed, a random TTL in the range) and holds it for holdMs or until it is lost. An
    /// append-only log (the witness) gets "enter &lt;token&gt; &lt;pid&gt;" once held, "lost &lt;token&gt; &lt;pid&gt;" when
    /// HandleLost fires, and "leave &lt;token&gt; &lt;pid&gt;" before the release. Prints "OK &lt;sections&gt; &lt;lost&gt;".
    /// </summary>
    public static async Task<string> StormAsync(string database, string log, int seconds, int ttlMin, int ttlMax, int holdMs, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open, Func<Task> barrier)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions { BusyTimeout = TimeSpan.FromMinutes(1) });
        await barrier();
        using var witness = new AppendOnlyLog(log);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var random = new Random(Environment.ProcessId);
        int sections = 0, lost = 0;
        while (DateTime.UtcNow < deadline)
        {
            var ttl = TimeSpan.FromMilliseconds(random.Next(ttlMin, ttlMax + 1));
            ILockHandle? handle;
            try
            {
                handle = await adapter.Locks.AcquireAsync("storm", new LockOptions { Ttl = ttl, AutoExtend = true, Wait = TimeSpan.FromSeconds(5) });
            }
            catch (PersistenceException)
            {
                continue; // the blocker kept the database busy past the timeout: try again
            }

            if (handle is null)
            {
                continue;
            }

            sections++;
            var token = handle.FencingToken;
            Write(witness, $"enter {token} {Environment.ProcessId}");
            using (handle.HandleLost.Register(() =>
            {
                if (Volatile.Read(ref sections) > 0)
                {
                    Write(witness, $"lost {token} {Environment.ProcessId}");
                }
            }))
            {
                try
                {
                    await Task.Delay(holdMs, handle.HandleLost);
                }
                catch (OperationCanceledException)
                {
                    lost++;
                }

                Write(witness, $"leave {token} {Environment.ProcessId}");
            }

            try
            {
                await handle.ReleaseAsync();
            }
            catch (PersistenceException)
            {
                // Busy past the timeout: the row expires by its TTL.
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"OK {sections} {lost}");
    }

    /// <summary>
    /// <c>block-writer &lt;db&gt; &lt;holdMs&gt; &lt;gapMs&gt; &lt;seconds&gt; [barrier]</c>: with plain SQLitePCLRaw, holds the database's
    /// write lock (BEGIN IMMEDIATE) for holdMs at a time, then lets go for gapMs, for the given time.
    /// </summary>
    public static async Task<string> BlockWriterAsync(string path, int holdMs, int gapMs, int seconds, Func<Task> barrier)
    {
        SQLitePCL.Batteries_V2.Init();
        if (SQLitePCL.raw.sqlite3_open_v2(path, out var db, SQLitePCL.raw.SQLITE_OPEN_READWRITE, null) != SQLitePCL.raw.SQLITE_OK)
        {
            return "ERR open";
        }

        await barrier();
        SQLitePCL.raw.sqlite3_busy_timeout(db, 5000);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var blocks = 0;
        while (DateTime.UtcNow < deadline)
        {
            if (SQLitePCL.raw.sqlite3_exec(db, "BEGIN IMMEDIATE") == SQLitePCL.raw.SQLITE_OK)
            {
                blocks++;
                Thread.Sleep(holdMs);
                SQLitePCL.raw.sqlite3_exec(db, "COMMIT");
            }

            Thread.Sleep(gapMs);
        }

        SQLitePCL.raw.sqlite3_close_v2(db);
        return string.Create(CultureInfo.InvariantCulture, $"OK {blocks}");
    }

    /// <summary>
    /// <c>execute-once-stall &lt;db&gt; &lt;key&gt; &lt;log&gt; &lt;actionMs&gt; &lt;threads&gt; &lt;lockTtlMs&gt; [barrier]</c>: ExecuteOnce from
    /// several threads at once with a short lease (DefaultLockTtl); the action logs "start &lt;pid&gt;", takes actionMs
    /// (honoring its token), logs "done &lt;pid&gt;" or "cancelled &lt;pid&gt;", and returns "ran-in-&lt;pid&gt;". Prints one
    /// "OK &lt;value&gt;" per thread. The parent stops this process (SIGSTOP) while its action runs.
    /// </summary>
    public static async Task<string[]> ExecuteOnceStallAsync(
        string database, string key, string log, int actionMs, int threads, int lockTtlMs, Func<string, PersistenceAdapterOptions, ValueTask<IPersistenceAdapter>> open, Func<Task> barrier)
    {
        await using var adapter = await open(database, new PersistenceAdapterOptions
        {
            DefaultLockTtl = TimeSpan.FromMilliseconds(lockTtlMs),
            BusyTimeout = TimeSpan.FromMinutes(1),
        });
        await barrier();
        using var start = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, threads).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await adapter.Idempotency.ExecuteOnceAsync(key, TimeSpan.FromHours(1), async ct =>
            {
                AppendOnlyLog.Append(log, $"start {Environment.ProcessId}");
                try
                {
                    await Task.Delay(actionMs, ct);
                }
                catch (OperationCanceledException)
                {
                    AppendOnlyLog.Append(log, $"cancelled {Environment.ProcessId}");
                    throw;
                }

                AppendOnlyLog.Append(log, $"done {Environment.ProcessId}");
                return $"ran-in-{Environment.ProcessId}";
            });
        })).ToArray();
        start.Set();
        return (await Task.WhenAll(callers)).Select(v => "OK " + v).ToArray();
    }

    private static void Write(AppendOnlyLog witness, string line) => witness.Append(line);

    private static void Ack(string line)
    {
        lock (Console.Out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}

/// <summary>
/// A log many processes append to: opened with O_APPEND and written one line per write(2), so each line lands whole and the
/// file's order is the order the writes happened in (.NET's FileMode.Append seeks once and then writes at its own offset).
/// </summary>
internal sealed partial class AppendOnlyLog : IDisposable
{
    private const int OWrOnly = 0x1, OCreat = 0x40, OAppend = 0x400;
    private readonly int _fd;

    public AppendOnlyLog(string path)
    {
        _fd = Open(path, OWrOnly | OCreat | OAppend, 0x1A4);
        if (_fd < 0)
        {
            throw new IOException($"open({path}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    public static void Append(string path, string line)
    {
        using var log = new AppendOnlyLog(path);
        log.Append(line);
    }

    public void Append(string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        if (WriteBytes(_fd, bytes, bytes.Length) != bytes.Length)
        {
            throw new IOException($"write failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose() => _ = Close(_fd);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteBytes(int fd, byte[] buffer, nint count);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
