using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: finds the serializer of a payload type: the adapter's <see cref="PayloadContext"/>
/// (<see cref="PersistenceAdapterOptions.Payloads"/>) first, then the built-in types. A backend answers every generic
/// overload without a <see cref="PayloadTypeInfo{T}"/> through it, so every backend accepts the same types.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PayloadResolver
{
    /// <summary>Resolves the serializer for <typeparamref name="T"/>; cached per type for the last context asked.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="context">The adapter's payload context, or <see langword="null"/> for the built-in types only.</param>
    /// <returns>The serializer.</returns>
    /// <exception cref="PayloadTypeNotRegisteredException"><typeparamref name="T"/> is neither registered nor built in.</exception>
    public static PayloadTypeInfo<T> Resolve<T>(PayloadContext? context)
    {
        var last = Cache<T>.Last;
        if (last is not null && ReferenceEquals(last.Context, context))
        {
            return last.Info;
        }

        return ResolveSlow<T>(context);
    }

    private static PayloadTypeInfo<T> ResolveSlow<T>(PayloadContext? context)
    {
        var info = context?.GetTypeInfo(typeof(T)) as PayloadTypeInfo<T>
                   ?? BuiltInPayloads.Get<T>()
                   ?? throw new PayloadTypeNotRegisteredException(typeof(T));
        Cache<T>.Last = new Entry<T>(context, info);
        return info;
    }

    // One immutable entry per T, swapped atomically: a race at worst resolves twice.
    private sealed class Entry<T>(PayloadContext? context, PayloadTypeInfo<T> info)
    {
        public PayloadContext? Context { get; } = context;

        public PayloadTypeInfo<T> Info { get; } = info;
    }

    private static class Cache<T>
    {
        public static Entry<T>? Last;
    }
}
