using System.Collections.Concurrent;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// The last resort of group commit's deliveries: a small pool of threads of the process's own that delivers the
/// outcomes the thread pool has not picked up in time (a pool starved by callers that block), so those callers are
/// never deadlocked. A delivery runs its caller's continuation, which may block the worker: a worker is added while
/// every one is busy, up to <see cref="MaxWorkers"/>; idle workers end after a few seconds.
/// </summary>
internal static class DeliveryRescue
{
    /// <summary>At most this many rescue threads at once (each may be held by a caller's continuation that blocks).</summary>
    public const int MaxWorkers = 64;

    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(5);
    private static readonly ConcurrentQueue<(IQueuedWrite Write, long Ticket)> s_queue = new();
    private static readonly SemaphoreSlim s_work = new(0, int.MaxValue);
    private static readonly Lock s_sync = new();
    private static int s_workers;
    private static int s_idle;

    /// <summary>Hands over a delivery the pool has not picked up; returns whether it was taken (false: every worker is busy and no more may start).</summary>
    public static bool TryRescue(IQueuedWrite write, long ticket)
    {
        lock (s_sync)
        {
            if (s_idle > 0)
            {
                // An idle worker takes it: claimed under the lock, so a worker that times out meanwhile sees the claim.
                s_idle--;
                s_queue.Enqueue((write, ticket));
                s_work.Release();
                return true;
            }

            if (s_workers >= MaxWorkers)
            {
                return false;
            }

            s_workers++;
        }

        try
        {
            // The new worker starts with this delivery (nothing is queued for it, so a failed start strands nothing).
            // The default stack size: the caller's continuation runs on it.
            new Thread(static s => Work(((IQueuedWrite, long))s!)) { IsBackground = true, Name = "nap delivery rescue" }.UnsafeStart((write, ticket));
        }
#pragma warning disable CA1031 // No thread to be had (out of memory, a thread limit): the committing thread keeps the delivery and tries again.
        catch (Exception)
#pragma warning restore CA1031
        {
            lock (s_sync)
            {
                s_workers--;
            }

            return false;
        }

        return true;
    }

    private static void Work((IQueuedWrite Write, long Ticket) first)
    {
        first.Write.TryDeliverHere(first.Ticket);
        while (true)
        {
            while (s_queue.TryDequeue(out var item))
            {
                // The pool may have picked it up meanwhile: then this does nothing.
                item.Write.TryDeliverHere(item.Ticket);
            }

            lock (s_sync)
            {
                s_idle++;
            }

            if (s_work.Wait(IdleExit))
            {
                continue;
            }

            lock (s_sync)
            {
                // A hand-over claims an idle worker and releases under this lock: take it if one came after the timeout.
                if (s_work.Wait(0))
                {
                    continue;
                }

                s_idle--;
                s_workers--;
                return;
            }
        }
    }
}
