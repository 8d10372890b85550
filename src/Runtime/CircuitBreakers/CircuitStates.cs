using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the stored form of circuit-breaker state, the same on every backend: the state as the text
/// <c>closed</c>, <c>open</c> or <c>half-open</c>, and times as Unix milliseconds. A stored state that is none of these
/// is a <see cref="PayloadErrors.UnknownCircuitState"/> error.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CircuitStates
{
    internal static ReadOnlySpan<byte> ToUtf8(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed"u8,
        CircuitState.Open => "open"u8,
        CircuitState.HalfOpen => "half-open"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown circuit state."),
    };

    /// <summary>The stored name of <paramref name="state"/>.</summary>
    /// <param name="state">The state.</param>
    /// <returns><c>closed</c>, <c>open</c> or <c>half-open</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="state"/> is not a defined <see cref="CircuitState"/>.</exception>
    public static string ToText(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half-open",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown circuit state."),
    };

    internal static bool TryParse(ReadOnlySpan<byte> utf8, out CircuitState state)
    {
        if (utf8.SequenceEqual("closed"u8))
        {
            state = CircuitState.Closed;
            return true;
        }

        if (utf8.SequenceEqual("open"u8))
        {
            state = CircuitState.Open;
            return true;
        }

        if (utf8.SequenceEqual("half-open"u8))
        {
            state = CircuitState.HalfOpen;
            return true;
        }

        state = default;
        return false;
    }

    /// <summary>Reads a stored state name (exactly, case-sensitively).</summary>
    /// <param name="text">The stored text.</param>
    /// <param name="state">The state, when the text is a stored name.</param>
    /// <returns><see langword="false"/> for anything but <c>closed</c>, <c>open</c> and <c>half-open</c>.</returns>
    public static bool TryParse(string text, out CircuitState state)
    {
        switch (text)
        {
            case "closed":
                state = CircuitState.Closed;
                return true;
            case "open":
                state = CircuitState.Open;
                return true;
            case "half-open":
                state = CircuitState.HalfOpen;
                return true;
            default:
                state = default;
                return false;
        }
    }

    /// <summary>Validates a state a caller asks to store (<see cref="ICircuitBreakerStateProvider.SetStateAsync"/>).</summary>
    /// <param name="state">The state.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Its state is not a defined <see cref="CircuitState"/>, or its failure count is negative.</exception>
    public static void Validate(CircuitBreakerPersistedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.State is not (CircuitState.Closed or CircuitState.Open or CircuitState.HalfOpen))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state.State, "Unknown circuit state.");
        }

        if (state.FailureCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(state), state.FailureCount, "FailureCount must not be negative.");
        }
    }

    /// <summary>The stored form of a time: Unix milliseconds, or <see langword="null"/>.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The milliseconds to store; read them back with <see cref="Ttl.FromStoredMs(long, string, string, string, string, string?)"/>.</returns>
    public static long? ToUnixMs(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    internal static DateTimeOffset? FromUnixMs(long? ms) => ms is { } value ? Ttl.FromUnixMs(value) : null;

    /// <summary>
    /// A circuit's admin summary with what its stored fleet state adds (isolation, the break's end, the trials in
    /// flight, the re-open count), when that state is current for the row's.
    /// </summary>
    /// <param name="summary">The summary read from the row's columns.</param>
    /// <param name="fleet">The row's fleet text, or <see langword="null"/>.</param>
    /// <param name="nowMs">The store's clock (Unix ms): trial permits that expired by then are not counted.</param>
    /// <returns>The summary.</returns>
    public static CircuitSummary WithFleet(CircuitSummary summary, string? fleet, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (!CircuitFleetState.TryParse(fleet, out var f) || f.State != summary.State.State)
        {
            return summary;
        }

        var trials = 0;
        foreach (var lease in f.Trials)
        {
            trials += lease.ExpiresAtMs > nowMs ? 1 : 0;
        }

        return summary with
        {
            IsIsolated = f.Isolated,
            OpenUntil = f.State == CircuitState.Open && !f.Isolated && f.OpenUntilMs >= 0 && f.OpenUntilMs <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
                ? Ttl.FromUnixMs(f.OpenUntilMs)
                : null,
            TrialsInFlight = trials,
            ReopenCount = f.ReopenCount,
        };
    }
}
