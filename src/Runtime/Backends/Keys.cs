using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: the argument rules for keys every backend applies before it touches its store. A key is non-empty and
/// valid UTF-16 (no lone surrogate), and keys are compared ordinally (case-sensitively, code unit by code unit).
/// </summary>
/// <remarks>
/// A backend calls <see cref="Validate"/> on every key (and lock owner) a caller passes, before any I/O, so that every
/// backend refuses the same keys with the same exceptions; a key with a lone surrogate could not be stored as UTF-8
/// without silently merging with another key.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Keys
{
    /// <summary>Validates a caller's key (or lock owner).</summary>
    /// <param name="key">The key.</param>
    /// <param name="paramName">The parameter named in the exception; the caller's argument expression by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or holds a lone surrogate (invalid UTF-16).</exception>
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
    internal static void ValidatePrefix(string prefix, string paramName = "options")
    {
        if (HasSurrogate(prefix) && !IsValidUtf16(prefix))
        {
            throw new ArgumentException(
                "PersistenceAdapterOptions.KeyPrefix contains a lone surrogate (invalid UTF-16); it could not be stored without merging with another prefix.",
                paramName);
        }
    }

    /// <summary>
    /// Validates a key pattern (<see cref="ICacheProvider.KeysAsync"/>, the admin listings): it may be empty (it then
    /// matches nothing), but must be valid UTF-16. Match keys with <see cref="Glob"/>.
    /// </summary>
    /// <param name="pattern">The pattern, not <see langword="null"/> (a <see langword="null"/> pattern means "every key" and needs no check).</param>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> holds a lone surrogate (invalid UTF-16).</exception>
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

    internal static bool IsValidUtf16(ReadOnlySpan<char> text)
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
