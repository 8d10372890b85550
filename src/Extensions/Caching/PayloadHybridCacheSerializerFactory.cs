using System.Buffers;
using Microsoft.Extensions.Caching.Hybrid;

namespace NativeAotPersistence;

/// <summary>
/// A <c>HybridCache</c> serializer factory backed by the generated payload serializers: a type that the
/// <see cref="PayloadContext"/> knows is written and read by its <see cref="PayloadTypeInfo{T}"/> (the same UTF-8 JSON
/// as the persistence providers store), with no System.Text.Json reflection, so it works in a NativeAOT app.
/// </summary>
/// <remarks>
/// For a type the context does not know, <see cref="TryCreateSerializer{T}"/> returns <see langword="false"/> and
/// HybridCache asks the next factory (last registered first), ending with its own reflection-based JSON serializer,
/// which NativeAOT does not support: register every cached type in the context. <see cref="string"/> and
/// <see cref="byte"/>[] need no entry; HybridCache handles them itself.
/// </remarks>
/// <param name="payloads">The generated serializers (<c>[Payload(typeof(T))]</c> roots of a <see cref="PayloadContext"/>).</param>
public sealed class PayloadHybridCacheSerializerFactory(PayloadContext payloads) : IHybridCacheSerializerFactory
{
    private readonly PayloadContext _payloads = payloads ?? throw new ArgumentNullException(nameof(payloads));

    /// <summary>Gets the context this factory resolves types through.</summary>
    public PayloadContext Payloads => _payloads;

    /// <inheritdoc />
    public bool TryCreateSerializer<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IHybridCacheSerializer<T>? serializer)
    {
        if (_payloads.GetTypeInfo(typeof(T)) is PayloadTypeInfo<T> typeInfo)
        {
            serializer = new Serializer<T>(typeInfo);
            return true;
        }

        serializer = null;
        return false;
    }

    private sealed class Serializer<T>(PayloadTypeInfo<T> typeInfo) : IHybridCacheSerializer<T>
    {
        public T Deserialize(ReadOnlySequence<byte> source) =>
            typeInfo.Deserialize(source.IsSingleSegment ? source.FirstSpan : source.ToArray());

        public void Serialize(T value, IBufferWriter<byte> target) => typeInfo.Serialize(target, value);
    }
}
