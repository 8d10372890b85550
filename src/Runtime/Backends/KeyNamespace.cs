using System.ComponentModel;
using System.Text;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: one kind's part of an adapter's stored key space, <c>{prefix}{kind}:</c> (for example
/// <c>app:cache:</c>). Every stored key of that kind is this namespace followed by the caller's key, so the half-open
/// byte range [<see cref="Utf8"/>, <see cref="Utf8UpperBound"/>) holds exactly one adapter's rows of that kind,
/// whatever characters the prefix contains: no LIKE, no escaping.
/// </summary>
/// <remarks>
/// The rule a backend must keep: store a key as the UTF-8 bytes of this namespace followed by the UTF-8 bytes of the
/// caller's key, compare stored keys as bytes, and select a namespace (a clear, a listing, a prune) by that byte range.
/// Adapters with different prefixes then never see each other's rows, and every backend lays its keys out alike.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class KeyNamespace
{
    private readonly byte[] _utf8;
    private readonly byte[] _utf8UpperBound;

    /// <summary>Creates the namespace <c>{prefix}{kind}:</c>.</summary>
    /// <param name="prefix">The adapter's <see cref="PersistenceAdapterOptions.KeyPrefix"/> (already validated; may be empty).</param>
    /// <param name="kind">The kind of row: <c>cache</c>, <c>lock</c>, <c>circuit</c>, <c>task</c>, <c>checkpoint</c> or <c>idempotency</c>.</param>
    public KeyNamespace(string prefix, string kind)
    {
        Text = prefix + kind + ":";
        _utf8 = Encoding.UTF8.GetBytes(Text);
        _utf8UpperBound = [.. _utf8];

        // The namespace ends with ':' (0x3A), so incrementing the last byte never carries.
        _utf8UpperBound[^1]++;
    }

    internal string Text { get; }

    /// <summary>Gets the namespace's UTF-8 bytes: the start of every stored key of it, and the inclusive low end of its range.</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8;

    /// <summary>Gets the exclusive high end of the namespace's byte range: <see cref="Utf8"/> with its last byte incremented.</summary>
    public ReadOnlySpan<byte> Utf8UpperBound => _utf8UpperBound;

    internal string Stored(string key) => string.Concat(Text, key);

    /// <summary>The caller's key of a stored key of this namespace.</summary>
    internal string Strip(string stored) => stored.Substring(Text.Length);

    /// <summary>Whether <paramref name="stored"/> lies in this namespace: the same test as the byte range, on text.</summary>
    internal bool Contains(string stored) => stored.StartsWith(Text, StringComparison.Ordinal);

    /// <summary>
    /// What SQLite returns for a stored key read through this namespace: its UTF-8 bytes after the namespace's
    /// length. For a key of this namespace that is <see cref="Strip"/>; a row of an overlapping namespace (a task's
    /// checkpoint stored by another prefix) is cut the same way on every backend.
    /// </summary>
    internal string StripUtf8(string stored)
    {
        if (Contains(stored))
        {
            return Strip(stored);
        }

        var bytes = Encoding.UTF8.GetBytes(stored);
        return bytes.Length <= _utf8.Length ? "" : Encoding.UTF8.GetString(bytes, _utf8.Length, bytes.Length - _utf8.Length);
    }
}
