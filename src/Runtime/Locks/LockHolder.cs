namespace NativeAotPersistence;

/// <summary>The process that holds a <see cref="LockScope.Database"/> lock (<see cref="LockInfo.Holder"/>).</summary>
/// <param name="ProcessId">Its process id, in its own PID namespace.</param>
/// <param name="IsOnThisHost">Whether it runs on this host (same machine, boot and PID namespace) as the process that asked.</param>
/// <param name="IsGone">
/// Whether it is known to be gone: it ran on this host and the kernel says its process no longer exists, its PID now
/// belongs to a process started later, or it is a zombie whose threads have all ended. A process this one may not see
/// (another user's, under <c>hidepid</c>) counts as alive. The next acquisition takes such a lock over at once,
/// without waiting for its TTL.
/// </param>
public sealed record LockHolder(long ProcessId, bool IsOnThisHost, bool IsGone);
