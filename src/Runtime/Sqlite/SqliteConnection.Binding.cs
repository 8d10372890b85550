using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace NativeAotPersistence.Sqlite;

/// <summary>
/// The buffers binding uses (see <see cref="SqliteStatement"/>). Keys and payloads are encoded into buffers this
/// connection owns (it is used by one caller at a time), and bound as UTF-8 spans that SQLite copies: no intermediate
/// string, no allocation once warm.
/// </summary>
internal sealed partial class SqliteConnection
{
    /// <summary>
    /// The most a key buffer grows to. A longer key (keys have no length limit) is encoded into an array of its own that
    /// is dropped once bound (SQLite binds a copy), so one huge key never pins its size on the connection for good.
    /// </summary>
    internal const int MaxRetainedKeyBuffer = 64 * 1024;

    private readonly byte[][] _keyBuffers = [new byte[256], new byte[256]];

    /// <summary>The buffer payloads are serialized into before binding.</summary>
    public PayloadBuffer Payload { get; } = new();

    /// <summary>Notes that a payload is bound, so the next <see cref="Reset"/> clears the bindings.</summary>
    public void PayloadBound() => _payloadBound = true;

    /// <summary>
    /// Copies <paramref name="low"/> into the second key buffer with its last byte incremented: every string that
    /// starts with <paramref name="low"/> sorts before it (UTF-8 has no 0xFF byte).
    /// </summary>
    public ReadOnlySpan<byte> UpperBound(ReadOnlySpan<byte> low)
    {
        var high = _keyBuffers[1].Length >= low.Length ? _keyBuffers[1] : Grow(1, low.Length);
        low.CopyTo(high);
        high[low.Length - 1]++;
        return high.AsSpan(0, low.Length);
    }

    /// <summary>Gets the bytes both key buffers hold on to between uses.</summary>
    internal int RetainedKeyBufferBytes => _keyBuffers[0].Length + _keyBuffers[1].Length;

    /// <summary>Parses payload bytes already read from a column; a value that does not parse is a <see cref="PayloadFormatException"/>.</summary>
    public T ReadPayload<T>(ReadOnlySpan<byte> utf8, PayloadTypeInfo<T> typeInfo, string key, string operation)
    {
        try
        {
            return typeInfo.Deserialize(utf8);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw PayloadErrors.Format(e, key, typeof(T), operation, DataSource);
        }
    }

    /// <summary>Encodes <c>{prefix}{text}</c> as UTF-8 into key buffer <paramref name="slot"/>.</summary>
    public ReadOnlySpan<byte> Encode(ReadOnlySpan<byte> prefix, ReadOnlySpan<char> text, int slot)
    {
        var needed = prefix.Length + Encoding.UTF8.GetMaxByteCount(text.Length);
        var buffer = _keyBuffers[slot];
        if (buffer.Length < needed)
        {
            needed = prefix.Length + Encoding.UTF8.GetByteCount(text);
            if (buffer.Length < needed)
            {
                buffer = Grow(slot, needed);
            }
        }

        CopyPrefix(prefix, buffer);

        // Lone surrogates become U+FFFD (keys never have one: they are validated). Encoding.UTF8's span overload runs
        // fewer instructions here than Utf8.FromUtf16 under NativeAOT (eng/icount.sh: 41 against 56 around the same
        // transcoding).
        var written = Encoding.UTF8.GetBytes(text, buffer.AsSpan(prefix.Length));
        return buffer.AsSpan(0, prefix.Length + written);
    }

    /// <summary>
    /// Copies a key's prefix to the start of <paramref name="buffer"/>, which is at least as long. Prefixes of 4 to 16
    /// bytes (<c>cache:</c>, <c>app:cache:</c>) are two overlapping loads and stores, not a call to memmove, which costs
    /// more than the copy on the hottest path (a <c>:memory:</c> get miss). Both words are loaded before either is
    /// stored, so a prefix that lies in the buffer itself is copied as memmove would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPrefix(ReadOnlySpan<byte> prefix, byte[] buffer)
    {
        var length = prefix.Length;
        if ((uint)(length - 4) > 12 || buffer.Length < length)
        {
            prefix.CopyTo(buffer);
            return;
        }

        ref var source = ref MemoryMarshal.GetReference(prefix);
        ref var target = ref MemoryMarshal.GetArrayDataReference(buffer);
        if (length >= 8)
        {
            var head = Unsafe.ReadUnaligned<ulong>(ref source);
            var tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8));
            Unsafe.WriteUnaligned(ref target, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 8), tail);
        }
        else
        {
            var head = Unsafe.ReadUnaligned<uint>(ref source);
            var tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, length - 4));
            Unsafe.WriteUnaligned(ref target, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 4), tail);
        }
    }

    /// <summary>
    /// A key buffer of at least <paramref name="needed"/> bytes: slot <paramref name="slot"/> grown (doubling, up to
    /// <see cref="MaxRetainedKeyBuffer"/>), or past that an array that is not kept.
    /// </summary>
    private byte[] Grow(int slot, int needed) =>
        needed > MaxRetainedKeyBuffer
            ? new byte[needed]
            : _keyBuffers[slot] = new byte[Math.Min(Math.Max(needed, _keyBuffers[slot].Length * 2), MaxRetainedKeyBuffer)];
}
