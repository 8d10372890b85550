using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: who holds a lease, as far as another process on the same host can check it: the host (machine, boot, PID and time
/// namespace) and the holder's process id and start time. Recorded with every <see cref="LockScope.Database"/> lease,
/// so that an acquirer on the same host can take over at once from a holder whose process is gone, instead of waiting
/// out the TTL; holders on other hosts are judged by the TTL alone.
/// </summary>
/// <remarks>
/// <para>
/// Linux only (read from <c>/proc</c> and <c>kill(pid, 0)</c>); elsewhere, or where <c>/proc</c> does not describe this
/// process's own PID namespace (a PID namespace entered without mounting its own <c>/proc</c>), there is no identity and
/// every holder is judged by the TTL. The process start time (clock ticks after boot) tells a PID reused by a newer
/// process from the original holder.
/// </para>
/// <para>
/// Only a definite answer counts: a holder is gone when the kernel says no process has its PID, when its PID belongs to
/// a process started later, or when it is a zombie with no thread left. A process this one may not see (another user's,
/// under <c>hidepid</c>) is alive. The recorded host also carries a hash of the owner it was recorded for, so holder
/// columns an older release left behind when it rewrote a row for another owner are never taken for that owner's.
/// </para>
/// <para>
/// A backend that stores leases records, with every grant, <see cref="RecordFor"/> of the owner, <see cref="ProcessId"/>
/// and <see cref="StartTime"/> of <see cref="Current"/> (three nullable columns); an acquirer finding a live lease of
/// another owner takes it over only when <see cref="IsGone"/> says so, and <see cref="Describe"/> turns the columns into
/// <see cref="LockInfo.Holder"/>.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class HolderIdentity
{
    private const int Esrch = 3;
    private static readonly Lazy<HolderIdentity?> s_current = new(Read);

    private HolderIdentity(string host, long processId, long startTime)
    {
        Host = host;
        ProcessId = processId;
        StartTime = startTime;
    }

    /// <summary>Gets this process's identity, or <see langword="null"/> where none can be told (not Linux, an odd /proc).</summary>
    public static HolderIdentity? Current => s_current.Value;

    /// <summary>Gets the host: machine, boot, PID namespace and time namespace.</summary>
    internal string Host { get; }

    /// <summary>Gets the process id, to record as the holder's PID.</summary>
    public long ProcessId { get; }

    /// <summary>Gets the process start time (clock ticks after boot), to record as the holder's start time: it tells a reused PID from the holder.</summary>
    public long StartTime { get; }

    /// <summary>This process as a lock holder (every holder of an in-memory store), or <see langword="null"/> where it has no identity.</summary>
    internal static LockHolder? Self => Current is { } self ? new LockHolder(self.ProcessId, IsOnThisHost: true, IsGone: false) : null;

    /// <summary>The <c>holder_host</c> value recorded for a lease this process grants to <paramref name="owner"/>.</summary>
    /// <param name="owner">The lease's owner.</param>
    /// <returns>The host and a hash of the owner.</returns>
    public string RecordFor(string owner) => string.Concat(Host, "#", OwnerHash(owner));

    /// <summary>Whether a row's holder columns record this very process as <paramref name="owner"/>'s holder.</summary>
    internal bool Recorded(string? recorded, long? processId, long? startTime, string owner) =>
        processId == ProcessId && startTime == StartTime && string.Equals(recorded, RecordFor(owner), StringComparison.Ordinal);

    /// <summary>
    /// Whether a holder recorded as (<paramref name="recorded"/>, <paramref name="processId"/>, <paramref name="startTime"/>)
    /// for <paramref name="owner"/> is known to be gone (see the remarks). Anything uncertain is not gone.
    /// </summary>
    /// <param name="recorded">The recorded host (<see cref="RecordFor"/>), or <see langword="null"/>.</param>
    /// <param name="processId">The recorded process id, or <see langword="null"/>.</param>
    /// <param name="startTime">The recorded start time, or <see langword="null"/>.</param>
    /// <param name="owner">The lease's current owner.</param>
    /// <returns>Whether the holder is known to be gone, so its lease may be taken over at once.</returns>
    public static bool IsGone(string? recorded, long? processId, long? startTime, string owner) =>
        Check(recorded, processId, startTime, owner) == Holder.Gone;

    /// <summary>Describes a recorded holder for <see cref="LockInfo.Holder"/>, or <see langword="null"/> when the row recorded none for its owner.</summary>
    /// <param name="recorded">The recorded host (<see cref="RecordFor"/>), or <see langword="null"/>.</param>
    /// <param name="processId">The recorded process id, or <see langword="null"/>.</param>
    /// <param name="startTime">The recorded start time, or <see langword="null"/>.</param>
    /// <param name="owner">The lease's current owner.</param>
    /// <returns>The holder, or <see langword="null"/>.</returns>
    public static LockHolder? Describe(string? recorded, long? processId, long? startTime, string owner) =>
        Check(recorded, processId, startTime, owner) switch
        {
            Holder.Unknown => null,
            Holder.OtherHost => new LockHolder(processId!.Value, IsOnThisHost: false, IsGone: false),
            var state => new LockHolder(processId!.Value, IsOnThisHost: true, IsGone: state == Holder.Gone),
        };

    private static Holder Check(string? recorded, long? processId, long? startTime, string owner)
    {
        var separator = recorded?.LastIndexOf('#') ?? -1;
        if (separator < 0 || processId is not { } pid || startTime is not { } start
            || !recorded.AsSpan(separator + 1).SequenceEqual(OwnerHash(owner)))
        {
            // No holder recorded, or one recorded for another owner (a row an older release rewrote): the TTL decides.
            return Holder.Unknown;
        }

        if (Current is not { } self || !recorded.AsSpan(0, separator).SequenceEqual(self.Host))
        {
            return Holder.OtherHost;
        }

        if (pid == self.ProcessId)
        {
            // This very process: alive by definition, unless the PID was reused (then the start time differs).
            return start == self.StartTime ? Holder.Alive : Holder.Gone;
        }

        if (pid is <= 0 or > int.MaxValue)
        {
            return Holder.Alive;
        }

        // The kernel's word: no such process. EPERM (another user's process) means it exists.
        int signalled;
        try
        {
            signalled = Kill((int)pid, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library to ask (an odd runtime): nothing is known, so the TTL decides.
            return Holder.Alive;
        }

        if (signalled != 0)
        {
            return Marshal.GetLastPInvokeError() == Esrch ? Holder.Gone : Holder.Alive;
        }

        return ProcessStat.Read(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")) switch
        {
            { Readable: false } => Holder.Alive,
            { StartTime: { } actual } when actual != start => Holder.Gone,
            { Zombie: true, Threads: <= 1 } => Holder.Gone,
            _ => Holder.Alive,
        };
    }

    /// <summary>A short hash of the owner (FNV-1a, 64 bits, of its UTF-8), stored beside the host.</summary>
    private static string OwnerHash(string owner)
    {
        var hash = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[256];
        var utf8 = System.Text.Encoding.UTF8.GetMaxByteCount(owner.Length) <= buffer.Length
            ? buffer[..System.Text.Encoding.UTF8.GetBytes(owner, buffer)]
            : System.Text.Encoding.UTF8.GetBytes(owner);
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

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

            // Start times read from /proc are shifted by the reader's time namespace (Linux 5.6+): compared only within one.
            var timeNamespace = LinkOf("/proc/self/ns/time") ?? "-";
            var boot = ReadLine("/proc/sys/kernel/random/boot_id");
            if (pidNamespace is null || boot is null || ProcessStat.Read("/proc/self/stat").StartTime is not { } started)
            {
                return null;
            }

            // The machine id is optional (containers often lack it); the boot id already differs between machines.
            var machine = ReadLine("/etc/machine-id") ?? "-";
            return new HolderIdentity($"{machine}/{boot}/{pidNamespace}/{timeNamespace}", self, started);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? LinkOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
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

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // A plain blittable call: DllImport needs no unsafe code in this assembly.
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    private enum Holder
    {
        Unknown,
        OtherHost,
        Alive,
        Gone,
    }

    /// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> that tell whether a process still is the one recorded.</summary>
    private readonly record struct ProcessStat(bool Readable, bool Zombie, long Threads, long? StartTime)
    {
        public static ProcessStat Read(string path)
        {
            byte[] bytes;
            try
            {
                // Bytes, not ReadAllText: a StreamReader over a FileStream costs ~20 KB of a native binary.
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return default;
            }

            // The command name (field 2) may hold spaces and parentheses, so count fields after its last ')'. After the
            // name, field 3 (state) is fields[0], field 20 (threads) fields[17], field 22 (start time, clock ticks after
            // boot) fields[19].
            var stat = System.Text.Encoding.UTF8.GetString(bytes);
            var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length <= 19)
            {
                return default;
            }

            return new ProcessStat(
                true,
                fields[0] is "Z" or "X" or "x",
                long.TryParse(fields[17], NumberStyles.None, CultureInfo.InvariantCulture, out var threads) ? threads : 1,
                long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null);
        }
    }
}
