using System.Globalization;
using NativeAotPersistence;

namespace AotConsole;

/// <summary>The job lock's outcome: the handle when this run holds it, else who does.</summary>
internal sealed record JobLockResult(ILockHandle? Handle, LockInfo? Holder, string? TookOverFrom);

/// <summary>
/// The job lock: a <see cref="LockScope.Database"/> lock held, auto-renewed, for a whole run, so two runs on one file
/// never work at once. Its owner is <c>host:pid:start-time</c>, which lets a new run on the same host see that the
/// holder process is gone (SIGKILL, power loss of a container) and take the lock over at once instead of after the TTL.
/// </summary>
internal static class JobLock
{
    public const string Key = "job:upload";

    /// <summary>Long enough to survive a stalled disk; renewed every third of it while the run is alive.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(15);

    /// <summary>This process's owner string, <c>host:pid:start-time</c>.</summary>
    public static string CurrentOwner { get; } = OwnerOf(Environment.ProcessId) ?? Format(Environment.MachineName, Environment.ProcessId, "?");

    public static async ValueTask<JobLockResult> AcquireAsync(ILockProvider locks, CancellationToken cancellationToken)
    {
        string? tookOver = null;

        // A few rounds at most: a round is lost only when another run took over or released at the same moment.
        for (var round = 0; round < 5; round++)
        {
            var handle = await locks.AcquireAsync(Key, new LockOptions { Ttl = Ttl, AutoExtend = true, Owner = CurrentOwner }, cancellationToken);
            if (handle is not null)
            {
                return new JobLockResult(handle, null, tookOver);
            }

            var holder = await locks.GetInfoAsync(Key, cancellationToken);
            if (holder is null)
            {
                continue;
            }

            if (!IsDeadOnThisHost(holder.Owner))
            {
                return new JobLockResult(null, holder, null);
            }

            // Release it only if that dead owner still holds it: acquiring as the same owner is re-entrant and
            // succeeds only for that owner, and its release removes only that owner's row. A plain ForceReleaseAsync
            // could remove the lock of a third run that took it over a moment ago.
            var stale = await locks.AcquireAsync(Key, Ttl, holder.Owner, cancellationToken);
            if (stale is not null)
            {
                await stale.ReleaseAsync(cancellationToken);
                tookOver = holder.Owner;
            }
        }

        return new JobLockResult(null, await locks.GetInfoAsync(Key, cancellationToken), null);
    }

    /// <summary>Whether an owner string names a process of this host that no longer exists.</summary>
    public static bool IsDeadOnThisHost(string owner)
    {
        var parts = owner.Split(':');
        if (parts.Length != 3 || parts[0] != Environment.MachineName || parts[2] == "?" ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        // A pid is reused over time; the start time tells the original process from a newer one with the same pid.
        return OwnerOf(pid) != owner && OperatingSystem.IsLinux();
    }

    /// <summary>The owner string a live process would have, or null when it does not exist (or this is not Linux).</summary>
    private static string? OwnerOf(int pid)
    {
        var startTime = ProcessStartTime(pid);
        return startTime is null ? null : Format(Environment.MachineName, pid, startTime);
    }

    private static string Format(string host, int pid, string startTime) =>
        string.Create(CultureInfo.InvariantCulture, $"{host}:{pid}:{startTime}");

    // Field 22 of /proc/<pid>/stat: start time in clock ticks after boot. The command name (field 2) may hold spaces and
    // parentheses, so the fields are counted after its last ')'.
    private static string? ProcessStartTime(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        string stat;
        try
        {
            // Bytes, not ReadAllText: a StreamReader over a FileStream would add ~20 KB to the native binary.
            stat = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // After the name: field 3 (state) is fields[0], so field 22 is fields[19]. A zombie (killed, not yet reaped by
        // its parent) is as dead as a missing process.
        return fields.Length > 19 && fields[0] is not ("Z" or "X") ? fields[19] : null;
    }
}
