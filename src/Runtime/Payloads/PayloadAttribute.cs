namespace NativeAotPersistence;

/// <summary>
/// Registers <see cref="Type"/> (and every type reachable from it) as a payload of the <see cref="PayloadContext"/>
/// this attribute decorates; the generator emits a serializer and a property for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PayloadAttribute : Attribute
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="type">The payload type.</param>
    public PayloadAttribute(Type type)
    {
        Type = type;
    }

    /// <summary>Gets the payload type.</summary>
    public Type Type { get; }

    /// <summary>
    /// Gets or sets the name of the generated property; required when two roots would get the same name
    /// (for example <c>Billing.OrderState</c> and <c>Shipping.OrderState</c>).
    /// </summary>
    public string? PropertyName { get; set; }
}
