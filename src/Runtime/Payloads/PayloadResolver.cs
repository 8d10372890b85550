namespace NativeAotPersistence;

/// <summary>TEMPORARY (replaced by the generator branch): resolves T through the context only.</summary>
internal static class PayloadResolver
{
    public static PayloadTypeInfo<T> Resolve<T>(PayloadContext? context) =>
        context?.GetTypeInfo(typeof(T)) as PayloadTypeInfo<T> ?? throw new PayloadTypeNotRegisteredException(typeof(T));
}
