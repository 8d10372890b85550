using System.Runtime.CompilerServices;

namespace NativeAotPersistence;

/// <summary>Argument rules for keys: non-empty, valid UTF-16, compared ordinally.</summary>
internal static class Keys
{
    /// <summary>Throws <see cref="ArgumentException"/> for a null or empty key or one with a lone surrogate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate(string key, [CallerArgumentExpression(nameof(key))] string? paramName = null)
    {
        if (string.IsNullOrEmpty(key))
        {
            ThrowNullOrEmpty(key, paramName);
        }

        if (HasSurrogate(key) && !IsValidUtf16(key))
        {
            ThrowInvalidUtf16(paramName);
        }
    }

    /// <summary>A prefix may be empty, but must be valid UTF-16.</summary>
    public static void ValidatePrefix(string prefix, string paramName = "options")
    {
        if (HasSurrogate(prefix) && !IsValidUtf16(prefix))
        {
            throw new ArgumentException(
                "PersistenceAdapterOptions.KeyPrefix contains a lone surrogate (invalid UTF-16); it could not be stored without merging with another prefix.",
                paramName);
        }
    }

    /// <summary>A glob pattern may be empty (it matches nothing) but must be valid UTF-16.</summary>
    public static void ValidatePattern(string pattern)
    {
        if (HasSurrogate(pattern) && !IsValidUtf16(pattern))
        {
            throw new ArgumentException("The pattern contains a lone surrogate (invalid UTF-16).", nameof(pattern));
        }
    }

    // Ascii.IsValid is vectorized and not generic, so this allocates nothing even before the JIT optimizes it.
    private static bool HasSurrogate(ReadOnlySpan<char> text)
    {
        if (System.Text.Ascii.IsValid(text))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsValidUtf16(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void ThrowNullOrEmpty(string? key, string? paramName)
    {
        if (key is null)
        {
            throw new ArgumentNullException(paramName, "The key must not be null.");
        }

        throw new ArgumentException("The key must not be empty.", paramName);
    }

    private static void ThrowInvalidUtf16(string? paramName) =>
        throw new ArgumentException(
            "The key contains a lone surrogate (invalid UTF-16); it could not be stored without silently merging with another key.",
            paramName);
}
