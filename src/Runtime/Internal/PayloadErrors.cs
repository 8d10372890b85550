namespace NativeAotPersistence;

/// <summary>Builds the <see cref="PayloadFormatException"/> every backend throws for a stored value that does not parse.</summary>
internal static class PayloadErrors
{
    public static PayloadFormatException Format(Exception cause, string key, Type type, string operation, string? dataSource) =>
        Counted(operation, new(
            $"The value stored under key '{Shorten(key)}' does not parse as {PayloadTypeNames.Display(type)} " +
            $"(during '{operation}' on '{dataSource}'): {cause.Message}",
            key,
            type,
            operation,
            dataSource,
            cause));

    public static PayloadFormatException UnknownCircuitState(string state, string key, string operation, string? dataSource) =>
        Counted(operation, new(
            $"The circuit breaker '{Shorten(key)}' has the unknown stored state '{Shorten(state)}' (during '{operation}' on '{dataSource}'); " +
            "expected 'closed', 'open' or 'half-open'.",
            key,
            typeof(CircuitBreakerPersistedState),
            operation,
            dataSource));

    private static PayloadFormatException Counted(string operation, PayloadFormatException exception)
    {
        PersistenceTelemetry.PayloadFormatError(operation);

        if (PersistenceEvents.IsEnabled)
        {
            PersistenceEvents.PayloadFormatError(exception);
        }

        return exception;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");
}
