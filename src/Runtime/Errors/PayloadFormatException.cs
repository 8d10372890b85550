namespace NativeAotPersistence;

/// <summary>A stored value that does not parse as the requested type. It is never reported as a miss.</summary>
public class PayloadFormatException : PersistenceException
{
    /// <summary>Initializes a new instance.</summary>
    public PayloadFormatException()
        : this("A stored value does not parse as the requested type.")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public PayloadFormatException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PayloadFormatException(string message, Exception? innerException)
        : this(message, "", typeof(object), "", dataSource: null, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message, which should name the key and the type.</param>
    /// <param name="key">The key (without prefix) whose stored value failed to parse.</param>
    /// <param name="payloadType">The type the caller asked for.</param>
    /// <param name="operation">The operation, such as <c>cache.get</c>.</param>
    /// <param name="dataSource">The file path or server.</param>
    /// <param name="innerException">The parser's exception, usually a <see cref="System.Text.Json.JsonException"/>.</param>
    public PayloadFormatException(string message, string key, Type payloadType, string operation, string? dataSource = null, Exception? innerException = null)
        : base(message, PersistenceErrorKind.PayloadFormat, operation, dataSource, nativeErrorCode: null, sqlState: null, innerException)
    {
        Key = key;
        PayloadType = payloadType;
    }

    /// <summary>Gets the key (without prefix) whose stored value failed to parse.</summary>
    public string Key { get; }

    /// <summary>Gets the type the caller asked for.</summary>
    public Type PayloadType { get; }
}
