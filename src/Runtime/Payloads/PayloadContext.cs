namespace NativeAotPersistence;

/// <summary>
/// A set of generated payload serializers. Declare <c>[Payload(typeof(T))] internal partial class AppPayloads : PayloadContext { }</c>
/// and the generator emits the rest; pass <c>AppPayloads.Default</c> as <see cref="PersistenceAdapterOptions.Payloads"/>.
/// </summary>
public abstract class PayloadContext
{
    /// <summary>Gets the serializer for <paramref name="type"/>, or <see langword="null"/> if this context has none.</summary>
    /// <param name="type">The payload type.</param>
    public abstract PayloadTypeInfo? GetTypeInfo(Type type);

    /// <summary>Combines several contexts into one; for a type known to several, the first match wins.</summary>
    /// <param name="contexts">The contexts, in order of precedence.</param>
    /// <returns>A context that asks each of <paramref name="contexts"/> in turn.</returns>
    public static PayloadContext Combine(params PayloadContext[] contexts)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        foreach (var context in contexts)
        {
            ArgumentNullException.ThrowIfNull(context, nameof(contexts));
        }

        return new CombinedPayloadContext([.. contexts]);
    }

    private sealed class CombinedPayloadContext(PayloadContext[] contexts) : PayloadContext
    {
        public override PayloadTypeInfo? GetTypeInfo(Type type)
        {
            foreach (var context in contexts)
            {
                if (context.GetTypeInfo(type) is { } info)
                {
                    return info;
                }
            }

            return null;
        }
    }
}
