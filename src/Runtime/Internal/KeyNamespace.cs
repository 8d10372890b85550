using System.Text;

namespace NativeAotPersistence;

/// <summary>
/// One kind's part of the stored key space: <c>{prefix}{kind}:</c>. Every stored key of that kind starts with it, so
/// the half-open byte range [<see cref="Utf8"/>, <see cref="Utf8UpperBound"/>) holds exactly this adapter's rows of
/// that kind, whatever characters the prefix contains (no LIKE, no escaping).
/// </summary>
internal sealed class KeyNamespace
{
    public KeyNamespace(string prefix, string kind)
    {
        Text = prefix + kind + ":";
        Utf8 = Encoding.UTF8.GetBytes(Text);
        Utf8UpperBound = [.. Utf8];

        // The namespace ends with ':' (0x3A), so incrementing the last byte never carries.
        Utf8UpperBound[^1]++;
    }

    public string Text { get; }

    public byte[] Utf8 { get; }

    public byte[] Utf8UpperBound { get; }

    public string Stored(string key) => string.Concat(Text, key);

    /// <summary>The caller's key of a stored key of this namespace.</summary>
    public string Strip(string stored) => stored.Substring(Text.Length);

    /// <summary>Whether <paramref name="stored"/> lies in this namespace: the same test as the byte range, on text.</summary>
    public bool Contains(string stored) => stored.StartsWith(Text, StringComparison.Ordinal);

    /// <summary>
    /// What SQLite returns for a stored key read through this namespace: its UTF-8 bytes after the namespace's
    /// length. For a key of this namespace that is <see cref="Strip"/>; a row of an overlapping namespace (a task's
    /// checkpoint stored by another prefix) is cut the same way on every backend.
    /// </summary>
    public string StripUtf8(string stored)
    {
        if (Contains(stored))
        {
            return Strip(stored);
        }

        var bytes = Encoding.UTF8.GetBytes(stored);
        return bytes.Length <= Utf8.Length ? "" : Encoding.UTF8.GetString(bytes, Utf8.Length, bytes.Length - Utf8.Length);
    }
}
