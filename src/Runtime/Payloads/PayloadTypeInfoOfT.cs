using System.Buffers;
using System.Text.Json;

namespace NativeAotPersistence;

/// <summary>
/// A reflection-free JSON serializer for <typeparamref name="T"/>, usually generated for a <see cref="PayloadContext"/>.
/// The stored form is UTF-8 JSON text in the wire format of System.Text.Json with the library's reference options.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public abstract class PayloadTypeInfo<T> : PayloadTypeInfo
{
    /// <inheritdoc />
    public override Type Type => typeof(T);

    /// <summary>Writes <paramref name="value"/> as one JSON value.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public abstract void Write(Utf8JsonWriter writer, T value);

    /// <summary>Reads one JSON value; the reader is positioned on its first token.</summary>
    /// <param name="reader">The reader.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The JSON does not match <typeparamref name="T"/>; the message names the path.</exception>
    public abstract T Read(ref Utf8JsonReader reader);

    /// <summary>Serializes <paramref name="value"/> to UTF-8 JSON.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The UTF-8 JSON bytes.</returns>
    /// <exception cref="JsonException">The value nests deeper than 64 levels (or holds a cycle): it could not be read back.</exception>
    /// <exception cref="ArgumentException">The value holds a number JSON cannot represent (NaN or an infinity).</exception>
    public byte[] Serialize(T value)
    {
        // Written into the thread's buffer (pooled arrays past 1 KB), then copied once into the exact-size result: the
        // only allocation once warm, as System.Text.Json's SerializeToUtf8Bytes.
        var buffer = PayloadBuffer.Rent();
        try
        {
            var written = Write(buffer, value).Span;
            var result = GC.AllocateUninitializedArray<byte>(written.Length);
            written.CopyTo(result);
            return result;
        }
        finally
        {
            PayloadBuffer.Return(buffer);
        }
    }

    /// <summary>
    /// Serializes a value a provider is about to store under <paramref name="key"/>: a value that could not be read
    /// back is an <see cref="ArgumentException"/> naming the key (<see cref="PayloadErrors.Unwritable"/>).
    /// </summary>
    internal byte[] SerializeFor(string key, T value)
    {
        try
        {
            return Serialize(value);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw PayloadErrors.Unwritable(e, key, typeof(T));
        }
    }

    /// <summary>Serializes <paramref name="value"/> as UTF-8 JSON into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="JsonException">The value nests deeper than 64 levels (or holds a cycle): it could not be read back.</exception>
    /// <exception cref="ArgumentException">The value holds a number JSON cannot represent (NaN or an infinity).</exception>
    public void Serialize(IBufferWriter<byte> destination, T value)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var writer = PayloadBuffer.RentWriter(destination);
        try
        {
            WriteChecked(writer, value);
            writer.Flush();
        }
        finally
        {
            PayloadBuffer.ReturnWriter(writer);
        }
    }

    /// <summary>Deserializes one JSON value from UTF-8 bytes.</summary>
    /// <param name="utf8Json">The UTF-8 JSON text.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The text is not valid JSON for <typeparamref name="T"/>, or has trailing content.</exception>
    public T Deserialize(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, PayloadBuffer.ReaderOptions);
        if (!reader.Read())
        {
            throw new JsonException($"Expected a JSON value for {PayloadTypeNames.Display(typeof(T))} but the text is empty.");
        }

        var value = Read(ref reader);
        if (reader.Read())
        {
            throw new JsonException($"Unexpected content after the JSON value for {PayloadTypeNames.Display(typeof(T))} at byte {reader.TokenStartIndex}.");
        }

        return value;
    }

    /// <summary>Writes <paramref name="value"/> into a pooled buffer and returns the written bytes.</summary>
    internal ReadOnlyMemory<byte> Write(PayloadBuffer buffer, T value)
    {
        WriteChecked(buffer.Writer, value);
        buffer.Writer.Flush();
        return buffer.WrittenMemory;
    }

    /// <summary>
    /// Runs <see cref="Write(Utf8JsonWriter, T)"/> on one of the library's writers (which refuse to nest deeper than the
    /// reader reads), turning what the writer throws into what System.Text.Json's serializer throws: a
    /// <see cref="JsonException"/> past the maximum depth, and an <see cref="ArgumentException"/> that says what to do
    /// for a NaN or an infinity.
    /// </summary>
    internal void WriteChecked(Utf8JsonWriter writer, T value)
    {
        try
        {
            Write(writer, value);
        }
        catch (InvalidOperationException e) when (writer.CurrentDepth >= PayloadBuffer.MaxDepth)
        {
            throw PayloadErrors.TooDeep(e, typeof(T));
        }
        catch (ArgumentException e) when (PayloadErrors.IsNonFiniteNumber(e))
        {
            throw PayloadErrors.NonFiniteNumber(e, typeof(T));
        }
    }
}
