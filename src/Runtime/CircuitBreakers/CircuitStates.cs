namespace NativeAotPersistence;

/// <summary>The stored names of <see cref="CircuitState"/>: <c>closed</c>, <c>open</c>, <c>half-open</c>.</summary>
internal static class CircuitStates
{
    public static ReadOnlySpan<byte> ToUtf8(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed"u8,
        CircuitState.Open => "open"u8,
        CircuitState.HalfOpen => "half-open"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown circuit state."),
    };

    public static string ToText(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half-open",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown circuit state."),
    };

    public static bool TryParse(ReadOnlySpan<byte> utf8, out CircuitState state)
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

    public static long? ToUnixMs(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    public static DateTimeOffset? FromUnixMs(long? ms) => ms is { } value ? Ttl.FromUnixMs(value) : null;
}
