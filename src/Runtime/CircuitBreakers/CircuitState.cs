namespace NativeAotPersistence;

/// <summary>The state of a circuit breaker, stored as <c>closed</c>, <c>open</c> or <c>half-open</c>.</summary>
public enum CircuitState
{
    /// <summary>Calls pass; failures are counted.</summary>
    Closed,

    /// <summary>Calls are rejected until the reset timeout has passed since the last failure.</summary>
    Open,

    /// <summary>A limited number of trial calls are admitted to decide whether to close again.</summary>
    HalfOpen,
}
