using System.ComponentModel;
using System.Text;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the key pattern of <see cref="ICacheProvider.KeysAsync"/> and the admin listings: <c>*</c> matches
/// any run of characters, <c>?</c> exactly one (a whole code point), every other character matches itself,
/// case-sensitively; a <see langword="null"/> pattern matches every key.
/// </summary>
/// <remarks>
/// A backend narrows its query to the stored keys that start with <see cref="LiteralPrefix"/> (a byte range after the
/// <see cref="KeyNamespace"/>), then tests each key with <see cref="IsMatch"/> and sorts the result ordinally, so that
/// every backend lists the same keys in the same order. Validate a caller's pattern first with <see cref="Keys.ValidatePattern"/>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Glob
{
    /// <summary>The literal text before the first wildcard: every match starts with it.</summary>
    /// <param name="pattern">The pattern, or <see langword="null"/> (every key).</param>
    /// <returns>The prefix; empty for <see langword="null"/> or a pattern that starts with a wildcard.</returns>
    public static ReadOnlySpan<char> LiteralPrefix(string? pattern)
    {
        if (pattern is null)
        {
            return default;
        }

        var wildcard = pattern.AsSpan().IndexOfAny('*', '?');
        return wildcard < 0 ? pattern : pattern.AsSpan(0, wildcard);
    }

    /// <summary>Whether <paramref name="text"/> (a caller's key) matches <paramref name="pattern"/>. Linear in practice, never exponential.</summary>
    /// <param name="pattern">The pattern, or <see langword="null"/> (every key matches).</param>
    /// <param name="text">The key.</param>
    /// <returns><see langword="true"/> when the key matches.</returns>
    public static bool IsMatch(string? pattern, ReadOnlySpan<char> text)
    {
        if (pattern is null || pattern == "*")
        {
            return true;
        }

        if (pattern.AsSpan().IndexOfAny('*', '?') < 0)
        {
            return text.SequenceEqual(pattern);
        }

        return Match(pattern, text);
    }

    // Iterative matching with backtracking to the last star: linear in practice, never exponential.
    private static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, starP = -1, starT = -1;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starT = t;
                continue;
            }

            if (p < pattern.Length && pattern[p] == '?')
            {
                p++;
                t += RuneLength(text, t);
                continue;
            }

            if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
                continue;
            }

            if (starP < 0)
            {
                return false;
            }

            p = starP;
            starT += RuneLength(text, starT);
            t = starT;
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static int RuneLength(ReadOnlySpan<char> text, int index) =>
        Rune.DecodeFromUtf16(text[index..], out _, out var consumed) == System.Buffers.OperationStatus.Done ? consumed : 1;
}
