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
}
