using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NativeAotPersistence;

/// <summary>
/// A reusable growable byte buffer with its own <see cref="Utf8JsonWriter"/>, cached per thread so serializing a
/// payload on a hot path allocates nothing once warmed up.
/// </summary>
/// <remarks>
/// <para>
/// The written bytes are always one contiguous span (SQLite binds <see cref="WrittenSpan"/> as is). The buffer starts
/// as a small array of its own; past it, it grows by renting a larger array from <see cref="ArrayPool{T}.Shared"/>,
/// copying what was written and returning the smaller one, so a large payload allocates nothing once the pool holds
/// arrays of its sizes: <see cref="PayloadTypeInfo{T}.Serialize(T)"/> allocates only the returned array, as
/// System.Text.Json's <c>SerializeToUtf8Bytes</c> (which grows the same way). Segments would save the copies made while
/// growing (less than the final size in all) but not an allocation, and a contiguous span would then need one more copy.
/// </para>
/// <para>
/// Between uses (<see cref="Return"/>, <see cref="Clear"/>) an array of up to <see cref="MaxRetainedSize"/> is kept for
/// the next payload; a larger one goes back to the pool, whose own trimming releases it when memory is needed, and the
/// buffer falls back to its initial array. An array returned to the pool is cleared first (the written part: payloads
/// may be sensitive, and System.Text.Json does the same).
/// </para>
/// <para>
/// A span or memory from <see cref="WrittenSpan"/>, <see cref="WrittenMemory"/>, <see cref="GetSpan"/> or
/// <see cref="GetMemory"/> is valid until the next write, <see cref="Clear"/> or <see cref="Return"/>: growing may hand
/// the array it points into back to the pool.
/// </para>
/// </remarks>
internal sealed class PayloadBuffer : IBufferWriter<byte>
{
    /// <summary>How deep a stored value may nest: what the reader accepts (as System.Text.Json's default, 64).</summary>
    internal const int MaxDepth = 64;

    /// <summary>The size of the array each buffer owns; what a payload up to about this size is written into.</summary>
    internal const int InitialSize = 1024;

    /// <summary>The largest array a buffer keeps between uses, so one huge payload does not pin memory for the thread's lifetime.</summary>
    internal const int MaxRetainedSize = 1024 * 1024;

    // The writer refuses what the reader could not read back: nothing deeper than MaxDepth is ever stored.
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.Default,
        Indented = false,
        SkipValidation = false,
        MaxDepth = MaxDepth,
    };

    internal static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = MaxDepth,
    };

    [ThreadStatic]
    private static PayloadBuffer? t_cached;

    [ThreadStatic]
    private static Utf8JsonWriter? t_cachedWriter;

    // Owned, never pooled: what the buffer falls back to after a large payload, without allocating.
    private readonly byte[] _initial = new byte[InitialSize];

    // _initial, or an array rented from ArrayPool<byte>.Shared.
    private byte[] _buffer;
    private int _written;

    /// <summary>Creates a buffer owned by one user (for example one SQLite connection) instead of the thread cache.</summary>
    internal PayloadBuffer()
    {
        _buffer = _initial;
        Writer = new Utf8JsonWriter(this, WriterOptions);
    }

    /// <summary>Gets the writer that writes into this buffer.</summary>
    public Utf8JsonWriter Writer { get; }

    /// <summary>Gets the bytes written (and flushed) since the last <see cref="Clear"/>, as one span.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Gets the bytes written (and flushed) since the last <see cref="Clear"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>Gets the size of the array the buffer holds now (for tests: what it retains between uses).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>
    /// Gets the size of the array the current thread's cached buffer retains, or 0 when the thread has none (for tests).
    /// </summary>
    internal static int CachedCapacity => t_cached?.Capacity ?? 0;

    /// <summary>Takes the current thread's cached buffer (or a new one, when it is in use or the thread has none).</summary>
    /// <returns>A buffer with nothing written; give it back with <see cref="Return"/>.</returns>
    public static PayloadBuffer Rent()
    {
        var buffer = t_cached ?? new PayloadBuffer();
        t_cached = null;
        return buffer;
    }

    /// <summary>Clears <paramref name="buffer"/> and caches it for the current thread's next <see cref="Rent"/>.</summary>
    /// <param name="buffer">A buffer from <see cref="Rent"/>; its spans are no longer used.</param>
    public static void Return(PayloadBuffer buffer)
    {
        buffer.Clear();
        t_cached = buffer;
    }

    public static Utf8JsonWriter RentWriter(IBufferWriter<byte> destination)
    {
        var writer = t_cachedWriter;
        t_cachedWriter = null;
        if (writer is null)
        {
            return new Utf8JsonWriter(destination, WriterOptions);
        }

        writer.Reset(destination);
        return writer;
    }

    public static void ReturnWriter(Utf8JsonWriter writer)
    {
        // Reset(Stream) would allocate an internal buffer writer on every call; a detached IBufferWriter does not.
        writer.Reset(DetachedBufferWriter.Instance);
        t_cachedWriter = writer;
    }

    /// <summary>
    /// Forgets what was written (and a half-written value after a failed write), handing an array larger than
    /// <see cref="MaxRetainedSize"/> back to the pool.
    /// </summary>
    public void Clear()
    {
        if (_buffer.Length > MaxRetainedSize)
        {
            // After a failed write, the writer may hold bytes it has not advanced past yet: clear those too.
            var rented = _buffer;
            _buffer = _initial;
            ReturnToPool(rented, _written + Writer.BytesPending);
        }

        _written = 0;
        Writer.Reset(this);
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            ThrowAdvancedTooFar();
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private static void ReturnToPool(byte[] rented, int written)
    {
        rented.AsSpan(0, Math.Min(written, rented.Length)).Clear();
        ArrayPool<byte>.Shared.Return(rented);
    }

    private static void ThrowAdvancedTooFar() =>
        throw new InvalidOperationException("Advanced past the end of the buffer.");

    private void Ensure(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        Grow(sizeHint);
    }

    private void Grow(int sizeHint)
    {
        // Doubling keeps the copies below the final size in all; the pool rounds the size up to a power of two.
        var needed = (long)_written + sizeHint;
        if (needed > Array.MaxLength)
        {
#pragma warning disable CA2201 // What System.Text.Json's own buffers throw when a value outgrows the largest array.
            throw new OutOfMemoryException($"A payload cannot exceed {Array.MaxLength} bytes.");
#pragma warning restore CA2201
        }

        var size = (int)Math.Min(Math.Max(needed, 2L * _buffer.Length), Array.MaxLength);
        var grown = ArrayPool<byte>.Shared.Rent(size);
        var old = _buffer;
        old.AsSpan(0, _written).CopyTo(grown);
        _buffer = grown;
        if (!ReferenceEquals(old, _initial))
        {
            ReturnToPool(old, _written);
        }
    }

    /// <summary>The destination of a pooled writer between uses; writing to it is a bug.</summary>
    private sealed class DetachedBufferWriter : IBufferWriter<byte>
    {
        public static readonly DetachedBufferWriter Instance = new();

        public void Advance(int count) => throw new InvalidOperationException("The pooled writer was used after it was returned.");

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException("The pooled writer was used after it was returned.");

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException("The pooled writer was used after it was returned.");
    }
}
