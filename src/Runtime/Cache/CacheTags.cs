using System.ComponentModel;
using System.Text;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: cache entry tags (<see cref="CacheEntryOptions.Tags"/>) as every backend stores them: validated, each
/// once, in the order given, as one JSON array of strings (SQLite reads it with <c>json_each</c>, PostgreSQL as
/// <c>jsonb</c>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CacheTags
{
    /// <summary>Validates one tag (what <see cref="ICacheProvider.RemoveByTagAsync"/> takes).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="paramName">The argument's name, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tag"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tag is empty, longer than <see cref="CacheEntryOptions.MaxTagLength"/>, has a control character or a lone surrogate.</exception>
    public static void Validate(string tag, string paramName = "tag")
    {
        ArgumentNullException.ThrowIfNull(tag, paramName);
        if (tag.Length is 0 or > CacheEntryOptions.MaxTagLength)
        {
            throw new ArgumentException($"A cache tag must be 1 to {CacheEntryOptions.MaxTagLength} characters long; this one has {tag.Length}.", paramName);
        }

        foreach (var c in tag)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException($"A cache tag must not contain control characters (this one has U+{(int)c:X4}).", paramName);
            }
        }

        if (!Keys.IsValidUtf16(tag))
        {
            // Stored as UTF-8, a lone surrogate would become U+FFFD: two different tags would be one.
            throw new ArgumentException("A cache tag must be valid UTF-16 (this one has a lone surrogate).", paramName);
        }
    }

    /// <summary>
    /// The stored form of an entry's tags: a JSON array of the distinct tags in the order given, or
    /// <see langword="null"/> for none.
    /// </summary>
    /// <param name="options">The entry's options.</param>
    /// <returns>The JSON text, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentException">A tag is not valid (<see cref="Validate"/>), or there are more than <see cref="CacheEntryOptions.MaxTags"/> distinct tags.</exception>
    public static string? Encode(CacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tags = options.Tags;
        if (tags is null || tags.Count == 0)
        {
            return null;
        }

        var text = new StringBuilder(2 + (Math.Min(tags.Count, CacheEntryOptions.MaxTags) * 16));
        text.Append('[');
        var distinct = 0;
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = tags[i];
            Validate(tag!, nameof(options));
            if (IndexOf(tags, tag, i) < i)
            {
                continue;
            }

            if (++distinct > CacheEntryOptions.MaxTags)
            {
                throw new ArgumentException($"A cache entry has at most {CacheEntryOptions.MaxTags} distinct tags; these options have more.", nameof(options));
            }

            if (text.Length > 1)
            {
                text.Append(',');
            }

            text.Append('"');
            foreach (var c in tag)
            {
                // No control characters (Validate): only the quote and the backslash need escaping.
                if (c is '"' or '\\')
                {
                    text.Append('\\');
                }

                text.Append(c);
            }

            text.Append('"');
        }

        return text.Append(']').ToString();
    }

    /// <summary>The distinct tags of <see cref="CacheEntryOptions.Tags"/> in the order given (validated as <see cref="Encode"/> does).</summary>
    /// <param name="options">The entry's options.</param>
    /// <returns>The tags, or <see langword="null"/> for none.</returns>
    public static string[]? Distinct(CacheEntryOptions options)
    {
        if (Encode(options) is null)
        {
            return null;
        }

        var tags = options.Tags!;
        var distinct = new List<string>(tags.Count);
        for (var i = 0; i < tags.Count; i++)
        {
            if (IndexOf(tags, tags[i], i) == i)
            {
                distinct.Add(tags[i]);
            }
        }

        return [.. distinct];
    }

    private static int IndexOf(IReadOnlyList<string> tags, string tag, int limit)
    {
        for (var i = 0; i < limit; i++)
        {
            if (string.Equals(tags[i], tag, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return limit;
    }
}
