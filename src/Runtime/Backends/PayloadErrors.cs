using System.ComponentModel;
using System.Text.Json;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the <see cref="PayloadFormatException"/> every backend throws for a stored value that does not parse,
/// built with the same message and counted and reported the same way (<c>nap.payload.format_errors</c>,
/// <see cref="IPersistenceEventObserver.OnPayloadFormatError"/>).
/// </summary>
/// <remarks>
/// A backend catches what <see cref="PayloadTypeInfo{T}.Deserialize"/> throws for a stored value (JSON, format,
/// overflow, argument and invalid-operation exceptions) and throws <see cref="Format"/> instead: callers then handle
/// one exception type, with the key, the type and the operation, whatever the backend.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PayloadErrors
{
    /// <summary>The error for a stored value under <paramref name="key"/> that does not parse as <paramref name="type"/>; counted and reported when built.</summary>
    /// <param name="cause">What the deserializer threw.</param>
    /// <param name="key">The caller's key.</param>
    /// <param name="type">The type asked for.</param>
    /// <param name="operation">The operation, such as <c>cache.get</c>.</param>
    /// <param name="dataSource">The file or server.</param>
    /// <returns>The exception, for the caller to throw.</returns>
    public static PayloadFormatException Format(Exception cause, string key, Type type, string operation, string? dataSource) =>
        Counted(operation, new(
            $"The value stored under key '{Shorten(key)}' does not parse as {PayloadTypeNames.Display(type)} " +
            $"(during '{operation}' on '{dataSource}'): {cause.Message}",
            key,
            type,
            operation,
            dataSource,
            cause));

    /// <summary>
    /// The error for a stored circuit-breaker state that is none of <c>closed</c>, <c>open</c> and <c>half-open</c>
    /// (see <see cref="CircuitStates"/>); counted and reported when built.
    /// </summary>
    /// <param name="state">The stored text.</param>
    /// <param name="key">The breaker's key.</param>
    /// <param name="operation">The operation, such as <c>circuit.get</c>.</param>
    /// <param name="dataSource">The file or server.</param>
    /// <returns>The exception, for the caller to throw.</returns>
    public static PayloadFormatException UnknownCircuitState(string state, string key, string operation, string? dataSource) =>
        Counted(operation, new(
            $"The circuit breaker '{Shorten(key)}' has the unknown stored state '{Shorten(state)}' (during '{operation}' on '{dataSource}'); " +
            "expected 'closed', 'open' or 'half-open'.",
            key,
            typeof(CircuitBreakerPersistedState),
            operation,
            dataSource));

    /// <summary>What a writer past the maximum depth becomes: System.Text.Json's own exception for it.</summary>
    internal static JsonException TooDeep(Exception cause, Type type) => new(
        $"A value of {PayloadTypeNames.Display(type)} nests deeper than the maximum depth of {PayloadBuffer.MaxDepth} (or holds a cycle): " +
        "it could not be read back, so it is not written.",
        path: null,
        lineNumber: null,
        bytePositionInLine: null,
        cause);

    /// <summary>Whether a writer's <see cref="ArgumentException"/> is its refusal of NaN or an infinity.</summary>
    internal static bool IsNonFiniteNumber(ArgumentException e) =>
        e.ParamName is null && e.Message.Contains("AllowNamedFloatingPointLiterals", StringComparison.Ordinal);

    /// <summary>The writer's refusal of NaN or an infinity, with advice the caller can follow (no serializer option applies).</summary>
    internal static ArgumentException NonFiniteNumber(Exception cause, Type type) => new(
        $"A value of {PayloadTypeNames.Display(type)} holds NaN or an infinity, which JSON numbers cannot represent, so it is not written. " +
        "Replace it before storing: a nullable number (null for 'no value'), a sentinel, or a string member that keeps the text.",
        cause);

    /// <summary>
    /// A value a provider was asked to store under <paramref name="key"/> that it could not write in a form it can read
    /// back: an <see cref="ArgumentException"/> naming the key and the rule, with the writer's error inside. Nothing is stored.
    /// </summary>
#pragma warning disable CA2208 // The argument at fault is the caller's value, not a parameter of this factory.
    internal static ArgumentException Unwritable(Exception cause, string key, Type type) => cause switch
    {
        JsonException => new ArgumentException(
            $"The value for key '{Shorten(key)}' ({PayloadTypeNames.Display(type)}) nests deeper than {PayloadBuffer.MaxDepth} levels, or holds a cycle: " +
            $"it could not be read back (readers stop at depth {PayloadBuffer.MaxDepth}, as System.Text.Json's do), so nothing was stored. " +
            "Flatten the value, or break the cycle.",
            "value",
            cause),
        _ => new ArgumentException($"The value for key '{Shorten(key)}' cannot be stored: {cause.Message}", "value", cause),
    };
#pragma warning restore CA2208

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
