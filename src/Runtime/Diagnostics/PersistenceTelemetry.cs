using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace NativeAotPersistence;

/// <summary>
/// The names under which NativeAotPersistence reports metrics (<see cref="Meter"/>) and traces
/// (<see cref="ActivitySource"/>), for OpenTelemetry (<c>AddMeter</c>, <c>AddSource</c>), <c>dotnet-counters</c> or a
/// <see cref="MeterListener"/>. Nothing is measured or allocated while no listener is attached.
/// </summary>
/// <remarks>
/// <para>Instruments (tags in brackets):</para>
/// <list type="bullet">
/// <item><c>nap.cache.lookups</c> — cache gets [<c>nap.backend</c>, <c>nap.outcome</c> = hit | miss | expired; expired: the
/// key is stored but its entry expired and was not yet reclaimed].</item>
/// <item><c>nap.busy_waits</c> — waits for a busy SQLite database, or retries of a transient PostgreSQL failure [<c>nap.backend</c>, <c>nap.operation</c>].</item>
/// <item><c>nap.group_commit.writes</c> — writes committed together in one SQLite transaction (histogram).</item>
/// <item><c>nap.lock.wait</c> — seconds a waiting <c>AcquireAsync</c> took [<c>nap.outcome</c> = acquired | timed_out] (histogram).</item>
/// <item><c>nap.lock.lost</c> — held locks lost before release (<c>HandleLost</c> fired: expired, taken over, a renewal failed or was overdue).</item>
/// <item><c>nap.lock.taken_over</c> — locks taken over at once from a holder process that was gone (same host).</item>
/// <item><c>nap.rows_skipped</c> — rows a listing skipped because they could not be read [<c>nap.operation</c>].</item>
/// <item><c>nap.circuit.transitions</c> — circuit-breaker transitions [<c>nap.circuit.from</c>, <c>nap.circuit.to</c>].</item>
/// <item><c>nap.payload.format_errors</c> — stored values that did not parse [<c>nap.operation</c>].</item>
/// </list>
/// <para>
/// Activities: <c>nap.execute_once</c> (an <c>ExecuteOnceAsync</c> that runs its action), <c>nap.checkpointed_task</c>
/// (one <c>CheckpointedTask.RunAsync</c>) and <c>nap.lock.wait</c> (a waiting <c>AcquireAsync</c>); and one per SQLite or
/// PostgreSQL operation (<c>nap.cache.get</c>, <c>nap.circuit.record_failure</c>, …) slower than
/// <see cref="SlowOperationThreshold"/> or inside a <see cref="TraceOperations"/> scope [<c>db.system.name</c>,
/// <c>nap.operation</c>, <c>error.type</c> on failure]. They are created only when a listener samples them.
/// </para>
/// </remarks>
public static class PersistenceTelemetry
{
    /// <summary>The name of the <see cref="Meter"/> and of the <see cref="ActivitySource"/>.</summary>
    public const string Name = "NativeAotPersistence";

    internal static readonly Meter Meter = new(Name, typeof(PersistenceTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly ActivitySource Source = new(Name, typeof(PersistenceTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> CacheLookups =
        Meter.CreateCounter<long>("nap.cache.lookups", "{lookup}", "Cache gets, by backend and outcome (hit, miss or expired).");

    internal static readonly Counter<long> BusyWaits =
        Meter.CreateCounter<long>("nap.busy_waits", "{wait}", "Waits for a busy SQLite database and retries of transient PostgreSQL failures.");

    internal static readonly Histogram<int> GroupCommitWrites =
        Meter.CreateHistogram<int>("nap.group_commit.writes", "{write}", "Writes committed together in one SQLite transaction.");

    internal static readonly Histogram<double> LockWait =
        Meter.CreateHistogram<double>("nap.lock.wait", "s", "Time a waiting lock acquisition took, by outcome.");

    internal static readonly Counter<long> LocksLost =
        Meter.CreateCounter<long>("nap.lock.lost", "{lock}", "Held locks lost before release: expired, taken over, a renewal failed or was overdue.");

    internal static readonly Counter<long> LocksTakenOver =
        Meter.CreateCounter<long>("nap.lock.taken_over", "{lock}", "Locks taken over at once from a holder process that was gone (same host).");

    internal static readonly Counter<long> RowsSkipped =
        Meter.CreateCounter<long>("nap.rows_skipped", "{row}", "Rows a listing skipped because they could not be read (damaged, or written by another tool).");

    internal static readonly Counter<long> CircuitTransitions =
        Meter.CreateCounter<long>("nap.circuit.transitions", "{transition}", "Circuit-breaker state transitions.");

    internal static readonly Counter<long> CircuitTrials =
        Meter.CreateCounter<long>("nap.circuit.trials", "{trial}", "Half-open trial calls of the fleet breaker, by outcome (granted, rejected, succeeded, failed, abandoned).");

    internal static readonly Counter<long> CircuitUnrecordedOutcomes =
        Meter.CreateCounter<long>("nap.circuit.unrecorded", "{outcome}", "Outcomes of protected calls the breaker could not record because the store failed (success, failure); the caller got its own result or exception.");

    internal static readonly Counter<long> CacheFactoryRuns =
        Meter.CreateCounter<long>("nap.cache.factory", "{run}", "GetOrSet factory runs and fail-safe answers, by outcome (stored, failed, timeout, stale, lock_timeout, lease_lost, stored_in_background, failed_in_background, refreshed, refresh_skipped, refresh_failed).");

    internal static readonly Counter<long> PayloadFormatErrors =
        Meter.CreateCounter<long>("nap.payload.format_errors", "{error}", "Stored values that did not parse as the requested type.");

    /// <summary>The feature switch that removes metrics, traces and events from a trimmed or NativeAOT app.</summary>
    internal const string SupportSwitch = "NativeAotPersistence.Telemetry.IsSupported";

    /// <summary>
    /// Whether telemetry is compiled in: <see langword="true"/> unless the app sets the switch
    /// <c>NativeAotPersistence.Telemetry.IsSupported</c> to false (<c>&lt;RuntimeHostConfigurationOption
    /// Include="NativeAotPersistence.Telemetry.IsSupported" Value="false" Trim="true" /&gt;</c>), which lets the trimmer
    /// remove every instrument, activity and event (about 90 KB of a NativeAOT binary).
    /// </summary>
    [FeatureSwitchDefinition(SupportSwitch)]
    internal static bool IsSupported { get; } = !AppContext.TryGetSwitch(SupportSwitch, out var enabled) || enabled;

    /// <summary>Counts a cache get; the test is inlined into every get, so nothing is called when nobody listens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CacheLookup(string backend, CacheOutcome outcome)
    {
        if (IsSupported && CacheLookups.Enabled)
        {
            CountCacheLookup(backend, outcome);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CountCacheLookup(string backend, CacheOutcome outcome)
    {
        var name = outcome switch
        {
            CacheOutcome.Hit => "hit",
            CacheOutcome.Expired => "expired",
            _ => "miss",
        };
        CacheLookups.Add(1, new KeyValuePair<string, object?>("nap.backend", backend), new KeyValuePair<string, object?>("nap.outcome", name));
    }

    internal static void BusyWait(string backend, string operation)
    {
        if (IsSupported && BusyWaits.Enabled)
        {
            BusyWaits.Add(1, new KeyValuePair<string, object?>("nap.backend", backend), new KeyValuePair<string, object?>("nap.operation", operation));
        }
    }

    internal static void GroupCommitted(int writes)
    {
        if (IsSupported && GroupCommitWrites.Enabled)
        {
            GroupCommitWrites.Record(writes);
        }
    }

    internal static void LockWaited(TimeSpan waited, string outcome)
    {
        if (IsSupported && LockWait.Enabled)
        {
            LockWait.Record(waited.TotalSeconds, new KeyValuePair<string, object?>("nap.outcome", outcome));
        }
    }

    internal static void LockLost()
    {
        if (IsSupported)
        {
            LocksLost.Add(1);
        }
    }

    internal static void LockTakenOver()
    {
        if (IsSupported)
        {
            LocksTakenOver.Add(1);
        }
    }

    internal static void RowSkipped(string operation)
    {
        if (IsSupported && RowsSkipped.Enabled)
        {
            RowsSkipped.Add(1, new KeyValuePair<string, object?>("nap.operation", operation));
        }
    }

    internal static void CircuitTransition(string from, string to)
    {
        if (IsSupported && CircuitTransitions.Enabled)
        {
            CircuitTransitions.Add(1, new KeyValuePair<string, object?>("nap.circuit.from", from), new KeyValuePair<string, object?>("nap.circuit.to", to));
        }
    }

    internal static void CircuitTrial(string outcome)
    {
        if (IsSupported && CircuitTrials.Enabled)
        {
            CircuitTrials.Add(1, new KeyValuePair<string, object?>("nap.outcome", outcome));
        }
    }

    internal static void CircuitUnrecorded(string outcome)
    {
        if (IsSupported && CircuitUnrecordedOutcomes.Enabled)
        {
            CircuitUnrecordedOutcomes.Add(1, new KeyValuePair<string, object?>("nap.outcome", outcome));
        }
    }

    internal static void CacheFactory(string outcome)
    {
        if (IsSupported && CacheFactoryRuns.Enabled)
        {
            CacheFactoryRuns.Add(1, new KeyValuePair<string, object?>("nap.outcome", outcome));
        }
    }

    internal static void PayloadFormatError(string operation)
    {
        if (IsSupported && PayloadFormatErrors.Enabled)
        {
            PayloadFormatErrors.Add(1, new KeyValuePair<string, object?>("nap.operation", operation));
        }
    }

    /// <summary>An activity, only when telemetry is compiled in and a listener samples it.</summary>
    internal static Activity? StartActivity(string name) => IsSupported ? Source.StartActivity(name) : null;

    private static readonly AsyncLocal<bool> TracingAll = new();
    private static long s_slowOperationTicks = TimeSpan.FromMilliseconds(100).Ticks;

    /// <summary>
    /// Gets or sets how long a SQLite or PostgreSQL operation must take to be traced as an activity named after it
    /// (<c>nap.cache.get</c>, <c>nap.lock.acquire</c>, …), created when it ends with its real start time. The default is
    /// 100 ms; <see cref="TimeSpan.Zero"/> traces every operation, <see cref="Timeout.InfiniteTimeSpan"/> none but those
    /// in a <see cref="TraceOperations"/> scope. The operation is timed only while a listener listens to
    /// <see cref="Name"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public static TimeSpan SlowOperationThreshold
    {
        get
        {
            var ticks = Volatile.Read(ref s_slowOperationTicks);
            return ticks == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(ticks);
        }

        set
        {
            if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The threshold must be zero or positive, or Timeout.InfiniteTimeSpan to trace only on demand.");
            }

            Volatile.Write(ref s_slowOperationTicks, value == Timeout.InfiniteTimeSpan ? long.MaxValue : value.Ticks);
        }
    }

    /// <summary>
    /// Traces every SQLite and PostgreSQL operation that starts in the calling flow (this method's caller and what it
    /// awaits) until the returned scope is disposed, however fast: for one request under investigation, while
    /// <see cref="SlowOperationThreshold"/> keeps the rest quiet.
    /// </summary>
    /// <returns>The scope; dispose it to return to tracing only slow operations.</returns>
    public static IDisposable TraceOperations()
    {
        var scope = new TracingScope(TracingAll.Value);
        TracingAll.Value = true;
        return scope;
    }

    /// <summary>Whether storage operations are timed: only while telemetry is compiled in and a listener listens.</summary>
    internal static bool TimesOperations
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsSupported && Source.HasListeners();
    }

    /// <summary>
    /// Completes with <paramref name="operation"/>'s outcome and, when it was slow or traced on demand, records it as an
    /// activity. Allocates nothing for an operation that completed synchronously and was not traced.
    /// </summary>
    internal static ValueTask<T> Timed<T>(string backend, string operation, long started, ValueTask<T> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            OperationEnded(backend, operation, started, error: null);
            return task;
        }

        return AwaitTimed(backend, operation, started, task);

        static async ValueTask<T> AwaitTimed(string backend, string operation, long started, ValueTask<T> task)
        {
            try
            {
                var result = await task.ConfigureAwait(false);
                OperationEnded(backend, operation, started, error: null);
                return result;
            }
            catch (Exception e)
            {
                OperationEnded(backend, operation, started, e);
                throw;
            }
        }
    }

    private static void OperationEnded(string backend, string operation, long started, Exception? error)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (elapsed.Ticks < Volatile.Read(ref s_slowOperationTicks) && !TracingAll.Value)
        {
            return;
        }

        // Created after the fact, so only operations that qualify cost an activity; its start is the operation's.
        var kind = backend == "postgresql" ? ActivityKind.Client : ActivityKind.Internal;
        using var activity = Source.CreateActivity("nap." + operation, kind);
        if (activity is null)
        {
            return;
        }

        activity.SetStartTime(DateTime.UtcNow - elapsed);
        activity.SetTag("db.system.name", backend);
        activity.SetTag("nap.operation", operation);
        if (error is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
            activity.SetTag("error.type", error is PersistenceException p ? p.Kind.ToString() : error.GetType().FullName);
        }

        activity.Start();
    }

    private sealed class TracingScope(bool previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                TracingAll.Value = previous;
            }
        }
    }
}
