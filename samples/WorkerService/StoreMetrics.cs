using System.Diagnostics.Metrics;
using NativeAotPersistence;

namespace WorkerService;

/// <summary>
/// Listens to the library's meter (<see cref="PersistenceTelemetry.Name"/>) in process, as OpenTelemetry or
/// <c>dotnet-counters</c> would from outside, and keeps the totals the worker reports when it stops.
/// </summary>
internal sealed class StoreMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _hits;
    private long _misses;
    private long _transitions;
    private long _busyWaits;

    public StoreMetrics()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == PersistenceTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public long CacheHits => Interlocked.Read(ref _hits);

    public long CacheMisses => Interlocked.Read(ref _misses);

    public long CircuitTransitions => Interlocked.Read(ref _transitions);

    public long BusyWaits => Interlocked.Read(ref _busyWaits);

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "nap.cache.lookups":
                foreach (var tag in tags)
                {
                    if (tag.Key == "nap.outcome")
                    {
                        Interlocked.Add(ref Equals(tag.Value, "hit") ? ref _hits : ref _misses, value);
                    }
                }

                break;
            case "nap.circuit.transitions":
                Interlocked.Add(ref _transitions, value);
                break;
            case "nap.busy_waits":
                Interlocked.Add(ref _busyWaits, value);
                break;
        }
    }
}
