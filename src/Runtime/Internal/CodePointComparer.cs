namespace NativeAotPersistence;

/// <summary>
/// Orders strings by Unicode code point, which is the order SQLite's BINARY collation gives their UTF-8 bytes. It
/// differs from <see cref="StringComparer.Ordinal"/> only between surrogate pairs and characters U+E000–U+FFFF.
/// </summary>
internal sealed class CodePointComparer : IComparer<string>
{
    public static readonly CodePointComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;

        var length = Math.Min(x.Length, y.Length);
        var i = x.AsSpan(0, length).CommonPrefixLength(y.AsSpan(0, length));
        if (i == length)
        {
            return x.Length.CompareTo(y.Length);
        }

        return Weight(x[i]).CompareTo(Weight(y[i]));
    }

    // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF, so they sort after every other UTF-16 unit.
    private static int Weight(char c) => char.IsSurrogate(c) ? c + 0x2000 : c >= '\uE000' ? c - 0x800 : c;
}
