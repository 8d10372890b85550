namespace NativeAotPersistence;

/// <summary>A provider that resolves payload types through its adapter's <see cref="PersistenceAdapterOptions.Payloads"/>.</summary>
internal interface IPayloadContextOwner
{
    PayloadContext? Payloads { get; }
}
