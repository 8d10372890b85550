namespace NativeAotPersistence;

/// <summary>Options of the serializers generated for the <see cref="PayloadContext"/> this attribute decorates.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class PayloadOptionsAttribute : Attribute
{
    /// <summary>Gets or sets how property names are written. The default is <see cref="PayloadNamingPolicy.CamelCase"/>.</summary>
    public PayloadNamingPolicy NamingPolicy { get; set; } = PayloadNamingPolicy.CamelCase;

    /// <summary>Gets or sets whether enums are written as numbers instead of their declared names. The default is <see langword="false"/>.</summary>
    public bool EnumsAsNumbers { get; set; }
}
