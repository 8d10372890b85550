using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;

namespace NativeAotPersistence;

/// <summary>
/// The names under which NativeAotPersistence reports metrics (<see cref="Meter"/>) and traces
/// (<see cref="ActivitySource"/>), for OpenTelemetry (<c>AddMeter</c>, <c>AddSource</c>), <c>dotnet-counters</c> or a
/// <see cref="MeterListener"/>. Nothing is measured or allocated while no listener is attached.
/// </summary>
/// <remarks>
/// <para>Instruments (tags in brackets):</para>
/// <list type="bullet">
/// <item><c>nap.cache.lookups</c> — cache gets [<c>nap.backend</c>, <c>nap.outcome</c> = hit | miss].</item>
/// <item><c>nap.busy_waits</c> — waits for a busy SQLite database, or retries of a transient PostgreSQL failure [<c>nap.backend</c>, <c>nap.operation</c>].</item>
/// <item><c>nap.group_commit.writes</c> — writes committed together in one SQLite transaction (histogram).</item>
/// <item><c>nap.lock.wait</c> — seconds a waiting <c>AcquireAsync</c> took [<c>nap.outcome</c> = acquired | timed_out] (histogram).</item>
/// <item><c>nap.lock.lost</c> — held locks lost to expiry or takeover (<c>HandleLost</c> fired before release).</item>
/// <item><c>nap.circuit.transitions</c> — circuit-breaker transitions [<c>nap.circuit.from</c>, <c>nap.circuit.to</c>].</item>
/// <item><c>nap.payload.format_errors</c> — stored values that did not parse [<c>nap.operation</c>].</item>
/// </list>
/// <para>
/// Activities: <c>nap.execute_once</c> (an <c>ExecuteOnceAsync</c> that runs its action), <c>nap.checkpointed_task</c>
/// (one <c>CheckpointedTask.RunAsync</c>) and <c>nap.lock.wait</c> (a waiting <c>AcquireAsync</c>); they are created
/// only when a listener samples them.
/// </para>
/// </remarks>
public static class PersistenceTelemetry
{
    /// <summary>The name of the <see cref="Meter"/> and of the <see cref="ActivitySource"/>.</summary>
    public const string Name = "NativeAotPersistence";

    internal static readonly Meter Meter = new(Name, typeof(PersistenceTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly ActivitySource Source = new(Name, typeof(PersistenceTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> CacheLookups =
        Meter.CreateCounter<long>("nap.cache.lookups", "{lookup}", "Cache gets, by backend and outcome (hit or miss).");

    internal static readonly Counter<long> BusyWaits =
        Meter.CreateCounter<long>("nap.busy_waits", "{wait}", "Waits for a busy SQLite database and retries of transient PostgreSQL failures.");

    internal static readonly Histogram<int> GroupCommitWrites =
        Meter.CreateHistogram<int>("nap.group_commit.writes", "{write}", "Writes committed together in one SQLite transaction.");

    internal static readonly Histogram<double> LockWait =
        Meter.CreateHistogram<double>("nap.lock.wait", "s", "Time a waiting lock acquisition took, by outcome.");

    internal static readonly Counter<long> LocksLost =
        Meter.CreateCounter<long>("nap.lock.lost", "{lock}", "Held locks lost to expiry or takeover before release.");

    internal static readonly Counter<long> CircuitTransitions =
        Meter.CreateCounter<long>("nap.circuit.transitions", "{transition}", "Circuit-breaker state transitions.");

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

    /// <summary>Counts a cache get; one field read when nobody listens.</summary>
    internal static void CacheLookup(string backend, bool hit)
    {
        if (IsSupported && CacheLookups.Enabled)
        {
            CacheLookups.Add(1, new KeyValuePair<string, object?>("nap.backend", backend), new KeyValuePair<string, object?>("nap.outcome", hit ? "hit" : "miss"));
        }
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

    internal static void CircuitTransition(string from, string to)
    {
        if (IsSupported && CircuitTransitions.Enabled)
        {
            CircuitTransitions.Add(1, new KeyValuePair<string, object?>("nap.circuit.from", from), new KeyValuePair<string, object?>("nap.circuit.to", to));
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
}
