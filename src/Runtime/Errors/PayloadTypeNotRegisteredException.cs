namespace NativeAotPersistence;

/// <summary>
/// A generic method was called with a payload type that is neither built in nor registered in
/// <see cref="PersistenceAdapterOptions.Payloads"/>. The message shows the <c>[Payload(typeof(...))]</c> line that fixes it.
/// </summary>
public class PayloadTypeNotRegisteredException : InvalidOperationException
{
    /// <summary>Initializes a new instance.</summary>
    public PayloadTypeNotRegisteredException()
        : this("A payload type is not registered in any PayloadContext.")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public PayloadTypeNotRegisteredException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PayloadTypeNotRegisteredException(string message, Exception? innerException)
        : base(message, innerException)
    {
        PayloadType = typeof(object);
    }

    /// <summary>Initializes a new instance for <paramref name="payloadType"/>, with a message that shows the fix.</summary>
    /// <param name="payloadType">The type that has no serializer.</param>
    public PayloadTypeNotRegisteredException(Type payloadType)
        : base(PayloadTypeNames.NotRegisteredMessage(payloadType))
    {
        PayloadType = payloadType;
    }

    /// <summary>Gets the type that has no serializer.</summary>
    public Type PayloadType { get; }
}
