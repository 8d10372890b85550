using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace NativeAotPersistence.Payloads;

/// <summary>
/// The names of one enum as System.Text.Json's <c>JsonStringEnumConverter</c> writes and reads them: declared names or their
/// <c>[JsonStringEnumMemberName]</c>, <c>[Flags]</c> combinations as <c>"a, b"</c>, and integers for values without a name.
/// Values are passed as the bits of the underlying type widened to <see cref="ulong"/> (sign-extended for signed types).
/// Created by generated payload serializers; not meant to be used directly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class PayloadEnumFormat
{
    private readonly string _typeName;
    private readonly bool _isFlags;
    private readonly bool _isSigned;
    private readonly int _size;
    private readonly ulong[] _values;
    private readonly string[] _names;
    private readonly bool[] _custom;

    // The first declared member of each distinct value, in declaration order (the name written for that value).
    private readonly int[] _distinct;

    // The same members in the order JsonStringEnumConverter takes flags apart in, and writes them in: most bits first (a
    // composite member before its parts, a sign-extended negative member first of all), then the smaller value.
    private readonly int[] _flagsOrder;

    /// <summary>Creates the format of one enum.</summary>
    /// <param name="typeName">The C# name of the enum, for error messages.</param>
    /// <param name="isFlags">Whether the enum is <c>[Flags]</c>.</param>
    /// <param name="isSigned">Whether the underlying type is signed.</param>
    /// <param name="size">The size of the underlying type in bytes (1, 2, 4 or 8).</param>
    /// <param name="values">The members' values, in declaration order.</param>
    /// <param name="names">The members' JSON names, in declaration order.</param>
    /// <param name="custom">Whether each name comes from <c>[JsonStringEnumMemberName]</c>.</param>
    public PayloadEnumFormat(string typeName, bool isFlags, bool isSigned, int size, ulong[] values, string[] names, bool[] custom)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(custom);
        if (names.Length != values.Length || custom.Length != values.Length)
        {
            throw new ArgumentException("values, names and custom must have the same length.", nameof(names));
        }

        _typeName = typeName;
        _isFlags = isFlags;
        _isSigned = isSigned;
        _size = size;
        _values = values;
        _names = names;
        _custom = custom;

        var distinct = new List<int>();
        var seen = new HashSet<ulong>();
        for (var i = 0; i < values.Length; i++)
        {
            if (seen.Add(values[i]))
            {
                distinct.Add(i);
            }
        }

        _distinct = [.. distinct];
        distinct.Sort((a, b) =>
        {
            var order = System.Numerics.BitOperations.PopCount(values[b]).CompareTo(System.Numerics.BitOperations.PopCount(values[a]));
            order = order != 0 ? order : values[a].CompareTo(values[b]);
            return order != 0 ? order : a.CompareTo(b);
        });
        _flagsOrder = [.. distinct];
    }

    /// <summary>The name written for <paramref name="bits"/>, or <see langword="null"/> when it is written as a number.</summary>
    /// <param name="bits">The value's bits.</param>
    /// <returns>The name, a flags combination, or <see langword="null"/>.</returns>
    public string? Format(ulong bits)
    {
        foreach (var i in _distinct)
        {
            if (_values[i] == bits)
            {
                return _names[i];
            }
        }

        if (!_isFlags || bits == 0)
        {
            return null;
        }

        // In that order, each member whose bits are all still unclaimed: a value that is not exactly the union of such
        // members (say 7 of A = 1, B = 2, AB = 3, C = 5) is written as its number, as JsonStringEnumConverter writes it.
        var remaining = bits;
        var builder = new StringBuilder();
        foreach (var i in _flagsOrder)
        {
            var value = _values[i];
            if (value != 0 && (remaining & value) == value)
            {
                remaining &= ~value;
                if (builder.Length > 0)
                {
                    builder.Append(", ");
                }

                builder.Append(_names[i]);
            }
        }

        return remaining == 0 ? builder.ToString() : null;
    }

    /// <summary>The integer text written for a value without a name (a dictionary key).</summary>
    /// <param name="bits">The value's bits.</param>
    /// <returns>The value as an invariant integer.</returns>
    public string FormatNumber(ulong bits) =>
        _isSigned ? ((long)bits).ToString(CultureInfo.InvariantCulture) : bits.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses a JSON string as the enum: a name, a flags combination, or an integer in range.</summary>
    /// <param name="text">The JSON string.</param>
    /// <returns>The value's bits.</returns>
    /// <exception cref="System.Text.Json.JsonException">The text is none of these.</exception>
    public ulong Parse(string? text) =>
        TryParse(text, out var bits) ? bits : throw PayloadJson.UnknownEnumValue(_typeName, text);

    /// <summary>Parses a JSON string as the enum.</summary>
    /// <param name="text">The JSON string.</param>
    /// <param name="bits">The value's bits.</param>
    /// <returns>Whether the text names a value.</returns>
    public bool TryParse(string? text, out ulong bits)
    {
        bits = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (TryParseName(text, out bits) || TryParseInteger(text, out bits))
        {
            return true;
        }

        if (!_isFlags || !text.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        ulong result = 0;
        foreach (var part in text.Split(','))
        {
            if (!TryParseName(part, out var one))
            {
                bits = 0;
                return false;
            }

            result |= one;
        }

        bits = result;
        return true;
    }

    private bool TryParseName(string text, out ulong bits)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.Equals(_names[i], text, StringComparison.Ordinal))
            {
                bits = _values[i];
                return true;
            }
        }

        var trimmed = text.Trim();
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.Equals(_names[i], trimmed, _custom[i] ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
            {
                bits = _values[i];
                return true;
            }
        }

        bits = 0;
        return false;
    }

    private bool TryParseInteger(string text, out ulong bits)
    {
        bits = 0;
        var trimmed = text.AsSpan().Trim();
        if (trimmed.Length == 0 || !(char.IsAsciiDigit(trimmed[0]) || trimmed[0] is '-' or '+'))
        {
            return false;
        }

        if (_isSigned)
        {
            if (!long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            var min = _size == 8 ? long.MinValue : -(1L << ((_size * 8) - 1));
            var max = _size == 8 ? long.MaxValue : (1L << ((_size * 8) - 1)) - 1;
            if (value < min || value > max)
            {
                return false;
            }

            bits = (ulong)value;
            return true;
        }

        if (!ulong.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var unsigned))
        {
            return false;
        }

        if (_size < 8 && unsigned > (1UL << (_size * 8)) - 1)
        {
            return false;
        }

        bits = unsigned;
        return true;
    }
}
