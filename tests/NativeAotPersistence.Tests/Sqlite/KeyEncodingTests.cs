using System.Text;
using NativeAotPersistence.Sqlite;
using static SQLitePCL.raw;

namespace NativeAotPersistence.Tests.Sqlite;

/// <summary>
/// <see cref="SqliteConnection.Encode"/> writes <c>{prefix}{text}</c> as UTF-8 into a reused buffer, copying short prefixes
/// with overlapping word stores: every prefix length on both sides of those paths, after buffers held longer keys.
/// </summary>
public sealed class KeyEncodingTests
{
    private static readonly string[] s_texts =
    [
        "", "k", "user:42", "ключ", "键", "😀", "a😀b", new string('x', 255), new string('é', 300), new string('y', 70_000),
    ];

    private static SqliteConnection Open()
    {
        SqliteNative.EnsureInitialized();
        return SqliteNative.Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "test");
    }

    [Fact]
    public void EveryPrefixLength_EncodesPrefixAndTextExactly_WhateverTheBufferHeldBefore()
    {
        using var connection = Open();
        for (var length = 0; length <= 40; length++)
        {
            // Bytes that differ at every position, so a store of the wrong width or offset shows.
            var prefix = Enumerable.Range(0, length).Select(i => (byte)('A' + (i % 26))).ToArray();
            foreach (var text in s_texts)
            {
                for (var slot = 0; slot < 2; slot++)
                {
                    // Fill the buffer with a longer, different key first: nothing of it may show through.
                    _ = connection.Encode(Enumerable.Repeat((byte)'#', 64).ToArray(), new string('~', 300), slot);

                    var encoded = connection.Encode(prefix, text, slot).ToArray();

                    Assert.Equal([.. prefix, .. Encoding.UTF8.GetBytes(text)], encoded);
                }
            }
        }
    }

    [Fact]
    public void APrefixThatLiesInTheKeyBufferItself_IsCopiedAsMemmoveWould()
    {
        // Encode's contract does not forbid a prefix that is a slice of the buffer it writes (as UpperBound's input is).
        using var connection = Open();
        for (var length = 0; length <= 40; length++)
        {
            for (var offset = 1; offset <= 9; offset++)
            {
                var source = string.Concat(Enumerable.Range(0, offset + length).Select(i => (char)('A' + (i % 26))));
                var expected = Encoding.UTF8.GetBytes(string.Concat(source.AsSpan(offset, length), "k"));

                var inBuffer = connection.Encode([], source, 0);
                var encoded = connection.Encode(inBuffer.Slice(offset, length), "k", 0).ToArray();

                Assert.Equal(expected, encoded);
            }
        }
    }

    [Fact]
    public void ALoneSurrogate_IsReplaced_NotDropped()
    {
        // Keys are validated before they are encoded; other text (a pattern's literal part) may still hold one.
        using var connection = Open();

        var encoded = connection.Encode("cache:"u8, "a\uD800b", 0).ToArray();
        var atTheEnd = connection.Encode("cache:"u8, "a\uDC00", 1).ToArray();

        Assert.Equal([.. "cache:a"u8, 0xEF, 0xBF, 0xBD, .. "b"u8], encoded);
        Assert.Equal([.. "cache:a"u8, 0xEF, 0xBF, 0xBD], atTheEnd);
    }
}
