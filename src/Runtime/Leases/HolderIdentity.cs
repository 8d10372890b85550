using System.Globalization;

namespace NativeAotPersistence;

/// <summary>
/// Who holds a lease, as far as another process on the same host can check it: the host (machine, boot and PID
/// namespace) and the holder's process id and start time. Recorded with every <see cref="LockScope.Database"/> lease,
/// so that an acquirer on the same host can take over at once from a holder whose process is gone, instead of waiting
/// out the TTL; holders on other hosts are judged by the TTL alone.
/// </summary>
/// <remarks>
/// Linux only (read from <c>/proc</c>); elsewhere, or where <c>/proc</c> does not describe this process's own PID
/// namespace (a PID namespace entered without mounting its own <c>/proc</c>), there is no identity and every holder is
/// judged by the TTL. The process start time (clock ticks after boot) tells a PID reused by a newer process from the
/// original holder.
/// </remarks>
internal sealed record HolderIdentity(string Host, long ProcessId, long StartTime)
{
    private static readonly Lazy<HolderIdentity?> s_current = new(Read);

    /// <summary>Gets this process's identity, or <see langword="null"/> where none can be told (not Linux, an odd /proc).</summary>
    public static HolderIdentity? Current => s_current.Value;

    /// <summary>
    /// Whether a holder recorded as (<paramref name="host"/>, <paramref name="processId"/>, <paramref name="startTime"/>)
    /// is known to be gone: it ran on this host and its process no longer exists, is a zombie, or its PID now belongs to
    /// a process started later. Anything uncertain (another host, no identity, an unreadable /proc entry) is not gone.
    /// </summary>
    public static bool IsGone(string? host, long? processId, long? startTime)
    {
        if (host is null || processId is not { } pid || startTime is not { } start || Current is not { } self
            || !string.Equals(host, self.Host, StringComparison.Ordinal) || pid <= 0 || pid > int.MaxValue)
        {
            return false;
        }

        if (pid == self.ProcessId)
        {
            // This very process: alive by definition, unless the PID was reused (then the start time differs).
            return start != self.StartTime;
        }

        return ProcessStat.Read(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")) switch
        {
            { Missing: true } => true,
            { Zombie: true } => true,
            { StartTime: { } actual } => actual != start,
            _ => false,
        };
    }

    /// <summary>This process as a lock holder (every holder of an in-memory store), or <see langword="null"/> where it has no identity.</summary>
    public static LockHolder? Self => Current is { } self ? new LockHolder(self.ProcessId, IsOnThisHost: true, IsGone: false) : null;

    /// <summary>Describes a recorded holder for <see cref="LockInfo.Holder"/>, or <see langword="null"/> when the row recorded none.</summary>
    public static LockHolder? Describe(string? host, long? processId, long? startTime) =>
        host is null || processId is not { } pid
            ? null
            : new LockHolder(pid, Current is { } self && string.Equals(host, self.Host, StringComparison.Ordinal), IsGone(host, processId, startTime));

    private static HolderIdentity? Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // /proc/self must be this process as getpid() sees it: in a PID namespace that kept its parent's /proc, the
            // PIDs under /proc belong to another namespace and could not be checked.
            var self = Environment.ProcessId;
            var link = new FileInfo("/proc/self").LinkTarget;
            if (link is null || !int.TryParse(link, NumberStyles.None, CultureInfo.InvariantCulture, out var seen) || seen != self)
            {
                return null;
            }

            var pidNamespace = new FileInfo("/proc/self/ns/pid").LinkTarget;
            var boot = ReadLine("/proc/sys/kernel/random/boot_id");
            if (pidNamespace is null || boot is null || ProcessStat.Read("/proc/self/stat").StartTime is not { } started)
            {
                return null;
            }

            // The machine id is optional (containers often lack it); the boot id already differs between machines.
            var machine = ReadLine("/etc/machine-id") ?? "-";
            return new HolderIdentity($"{machine}/{boot}/{pidNamespace}", self, started);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadLine(string path)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path)).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> that tell whether a process still is the one recorded.</summary>
    private readonly record struct ProcessStat(bool Missing, bool Zombie, long? StartTime)
    {
        public static ProcessStat Read(string path)
        {
            byte[] bytes;
            try
            {
                // Bytes, not ReadAllText: a StreamReader over a FileStream costs ~20 KB of a native binary.
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return new ProcessStat(true, false, null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A process that ended while being read answers ESRCH, an I/O error: gone. Anything else is uncertain.
                return File.Exists(path) ? default : new ProcessStat(true, false, null);
            }

            // The command name (field 2) may hold spaces and parentheses, so count fields after its last ')'. After the
            // name, field 3 (state) is fields[0], and field 22 (start time, clock ticks after boot) is fields[19].
            var stat = System.Text.Encoding.UTF8.GetString(bytes);
            var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length <= 19)
            {
                return default;
            }

            return new ProcessStat(
                false,
                fields[0] is "Z" or "X" or "x",
                long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null);
        }
    }
}
