using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NativeAotPersistence;

/// <summary>
/// A reusable growable byte buffer with its own <see cref="Utf8JsonWriter"/>, cached per thread so serializing a
/// payload on a hot path allocates nothing once warmed up.
/// </summary>
internal sealed class PayloadBuffer : IBufferWriter<byte>
{
    /// <summary>How deep a stored value may nest: what the reader accepts (as System.Text.Json's default, 64).</summary>
    internal const int MaxDepth = 64;

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

    private const int InitialSize = 1024;

    // Larger buffers are not kept, so one huge payload does not pin memory for the thread's lifetime.
    private const int MaxRetainedSize = 1024 * 1024;

    [ThreadStatic]
    private static PayloadBuffer? t_cached;

    [ThreadStatic]
    private static Utf8JsonWriter? t_cachedWriter;

    private byte[] _buffer = new byte[InitialSize];
    private int _written;

    /// <summary>Creates a buffer owned by one user (for example one SQLite connection) instead of the thread cache.</summary>
    internal PayloadBuffer()
    {
        Writer = new Utf8JsonWriter(this, WriterOptions);
    }

    public Utf8JsonWriter Writer { get; }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public static PayloadBuffer Rent()
    {
        var buffer = t_cached ?? new PayloadBuffer();
        t_cached = null;
        return buffer;
    }

    public static void Return(PayloadBuffer buffer)
    {
        buffer._written = 0;
        buffer.Writer.Reset(buffer);
        if (buffer._buffer.Length <= MaxRetainedSize)
        {
            t_cached = buffer;
        }
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

    /// <summary>Forgets what was written (and a half-written value after a failed write), shrinking a huge buffer.</summary>
    public void Clear()
    {
        _written = 0;
        if (_buffer.Length > MaxRetainedSize)
        {
            _buffer = new byte[InitialSize];
        }

        Writer.Reset(this);
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var newSize = Math.Max(_buffer.Length * 2, _written + sizeHint);
        Array.Resize(ref _buffer, newSize);
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
