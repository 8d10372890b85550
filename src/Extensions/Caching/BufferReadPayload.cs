using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace NativeAotPersistence.Extensions.Internal;

/// <summary>
/// Reads a stored <see cref="byte"/> array (a base64 JSON string, the built-in form) straight into a caller's
/// <see cref="IBufferWriter{T}"/>: what <see cref="PersistenceDistributedCache"/>'s <c>IBufferDistributedCache</c> members
/// pass to <see cref="ICacheProvider.TryGetAsync{T}(string, PayloadTypeInfo{T}, CancellationToken)"/>. It returns no
/// array: the bytes go to <see cref="Destination"/>. One instance per thread is reused while reads complete
/// synchronously (the SQLite hit), so such a read allocates nothing beyond the caller's buffer.
/// </summary>
internal sealed class BufferReadPayload : PayloadTypeInfo<byte[]?>
{
    [ThreadStatic]
    private static BufferReadPayload? t_cached;

    /// <summary>Gets or sets where the bytes go.</summary>
    public IBufferWriter<byte>? Destination { get; set; }

    /// <summary>Takes this thread's instance (or a new one) for <paramref name="destination"/>.</summary>
    public static BufferReadPayload Rent(IBufferWriter<byte> destination)
    {
        var payload = t_cached ?? new BufferReadPayload();
        t_cached = null;
        payload.Destination = destination;
        return payload;
    }

    /// <summary>Gives an instance back once its read completed (on the thread that rented it).</summary>
    public static void Return(BufferReadPayload payload)
    {
        payload.Destination = null;
        t_cached = payload;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, byte[]? value) =>
        throw new NotSupportedException("This payload type only reads into a buffer.");

    /// <inheritdoc />
    public override byte[]? Read(ref Utf8JsonReader reader)
    {
        var destination = Destination ?? throw new InvalidOperationException("No destination buffer.");
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a base64 JSON string for byte[] but found {reader.TokenType}.");
        }

        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            // Not how the library writes a byte array (plain base64), but valid JSON: decode it the general way.
            destination.Write(reader.GetBytesFromBase64());
            return null;
        }

        var base64 = reader.ValueSpan;
        var span = destination.GetSpan(Base64.GetMaxDecodedFromUtf8Length(base64.Length));
        if (Base64.DecodeFromUtf8(base64, span, out _, out var written) != OperationStatus.Done)
        {
            throw new JsonException("The stored string is not valid base64.");
        }

        destination.Advance(written);
        return null;
    }
}
