using System.Globalization;
using NativeAotPersistence;

namespace AotConsole;

/// <summary>The job lock's outcome: the handle when this run holds it, else who does.</summary>
internal sealed record JobLockResult(ILockHandle? Handle, LockInfo? Holder, string? TookOverFrom);

/// <summary>
/// The job lock: a <see cref="LockScope.Database"/> lock held, auto-renewed, for a whole run, so two runs on one file
/// never work at once. A run killed on this host (SIGKILL, a crash) leaves its row behind; the library records which
/// process holds it and takes it over at once when that process is gone, so the next run need not wait for the TTL.
/// </summary>
internal static class JobLock
{
    public const string Key = "job:upload";

    /// <summary>Long enough to survive a stalled disk; renewed a third of it after each grant while the run is alive.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(15);

    /// <summary>This process's owner, <c>host:pid:random</c>: readable in <c>inspect</c>, and never the same for two runs.</summary>
    public static string CurrentOwner { get; } =
        string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}:{Random.Shared.Next(0x10000):x4}");

    public static async ValueTask<JobLockResult> AcquireAsync(ILockProvider locks, CancellationToken cancellationToken)
    {
        // Who held it before, to say so when this run takes it over from a run that is gone.
        var before = await locks.GetInfoAsync(Key, cancellationToken);
        var handle = await locks.AcquireAsync(Key, new LockOptions { Ttl = Ttl, AutoExtend = true, Owner = CurrentOwner }, cancellationToken);
        if (handle is null)
        {
            return new JobLockResult(null, await locks.GetInfoAsync(Key, cancellationToken) ?? before, null);
        }

        var tookOver = before is { Holder.IsGone: true } && before.Owner != CurrentOwner ? before.Owner : null;
        return new JobLockResult(handle, null, tookOver);
    }
}
