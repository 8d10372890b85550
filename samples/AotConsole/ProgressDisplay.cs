using System.Globalization;
using NativeAotPersistence;

namespace AotConsole;

/// <summary>
/// One progress line: redrawn in place (at most ten times a second) on a terminal; printed as plain lines, one per
/// 10% step and at least one a second, when the output is redirected to a file or a pipe.
/// </summary>
internal sealed class ProgressDisplay
{
    private static readonly TimeSpan s_redraw = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_plainInterval = TimeSpan.FromSeconds(1);

    private readonly bool _inPlace = !Console.IsOutputRedirected;
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private readonly long _recordsAtStart;
    private long _lastDraw = long.MinValue;
    private int _lastStep = -1;
    private bool _lineOpen;

    public ProgressDisplay(long recordsAtStart)
    {
        _recordsAtStart = recordsAtStart;
    }

    /// <summary>The breaker's state as last reported by its transition events.</summary>
    public CircuitState Breaker { get; set; }

    public void Update(UploadState state, TimeSpan? eta, bool force = false)
    {
        var now = TimeProvider.System.GetTimestamp();
        var percent = state.Records == 0 ? 100.0 : state.RecordsDone * 100.0 / state.Records;
        var step = (int)(percent / 10);
        var sinceLast = _lastDraw == long.MinValue ? TimeSpan.MaxValue : TimeProvider.System.GetElapsedTime(_lastDraw, now);
        var due = _inPlace ? sinceLast >= s_redraw : step > _lastStep || sinceLast >= s_plainInterval;
        if (!due && !force)
        {
            return;
        }

        _lastDraw = now;
        _lastStep = step;
        var elapsed = TimeProvider.System.GetElapsedTime(_started, now).TotalSeconds;
        var rate = elapsed > 0 ? (state.RecordsDone - _recordsAtStart) / elapsed : 0;
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{percent,5:0.0}%  {state.RecordsDone:N0}/{state.Records:N0} records  {rate,8:N0} rec/s  ETA {Format(eta)}  breaker {Name(Breaker)}");
        if (_inPlace)
        {
            Console.Out.Write("\r" + text + "\x1b[K");
            Console.Out.Flush();
            _lineOpen = true;
        }
        else
        {
            Console.Out.WriteLine("progress " + text);
        }
    }

    /// <summary>Prints a line of its own, above the progress line on a terminal.</summary>
    public void Note(string line)
    {
        if (_lineOpen)
        {
            Console.Out.Write("\r\x1b[K");
            _lineOpen = false;
            _lastDraw = long.MinValue;
        }

        Console.Out.WriteLine(line);
    }

    /// <summary>Keeps the last progress line and moves to a fresh line.</summary>
    public void End()
    {
        if (_lineOpen)
        {
            Console.Out.WriteLine();
            _lineOpen = false;
        }
    }

    public static string Format(TimeSpan? span) =>
        span is not { } s ? "--:--"
        : s.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalHours}:{s.Minutes:00}:{s.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{s.Minutes}:{s.Seconds:00}");

    /// <summary>A duration for people: <c>4.2 s</c>, <c>12m 03s</c>, <c>23h 59m</c>.</summary>
    public static string Human(TimeSpan span) =>
        span.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s")
        : span.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:00}m");

    public static string Name(CircuitState state) => state switch
    {
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half-open",
        _ => "closed",
    };
}
