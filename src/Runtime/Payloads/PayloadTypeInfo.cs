namespace NativeAotPersistence;

/// <summary>A serializer for one payload type; see <see cref="PayloadTypeInfo{T}"/>.</summary>
public abstract class PayloadTypeInfo
{
    /// <summary>Gets the payload type this serializer reads and writes.</summary>
    public abstract Type Type { get; }
}
