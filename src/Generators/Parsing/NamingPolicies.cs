using System.Globalization;
using System.Text;

namespace NativeAotPersistence.Generators.Parsing;

/// <summary>
/// Ports of System.Text.Json's <c>JsonNamingPolicy.CamelCase</c>, <c>SnakeCaseLower</c> and <c>KebabCaseLower</c>, so names are
/// computed at compile time exactly as the reference options compute them at run time.
/// </summary>
internal static class NamingPolicies
{
    // Values of NativeAotPersistence.PayloadNamingPolicy.
    public const int CamelCase = 0;
    public const int PascalCase = 1;
    public const int SnakeCase = 2;
    public const int KebabCase = 3;

    public static string Apply(int policy, string name)
    {
        return policy switch
        {
            CamelCase => ToCamelCase(name),
            SnakeCase => ToSeparated(name, '_'),
            KebabCase => ToSeparated(name, '-'),
            _ => name,
        };
    }

    private static string ToCamelCase(string name)
    {
        if (string.IsNullOrEmpty(name) || !char.IsUpper(name[0]))
        {
            return name;
        }

        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
            {
                break;
            }

            var hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ')
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }

                break;
            }

            chars[i] = char.ToLowerInvariant(chars[i]);
        }

        return new string(chars);
    }

    private enum SeparatorState
    {
        NotStarted,
        UppercaseLetter,
        LowercaseLetterOrDigit,
        SpaceSeparator,
    }

    private static string ToSeparated(string name, char separator)
    {
        var builder = new StringBuilder(name.Length + 8);
        var state = SeparatorState.NotStarted;
        for (var i = 0; i < name.Length; i++)
        {
            var current = name[i];
            switch (char.GetUnicodeCategory(current))
            {
                case UnicodeCategory.UppercaseLetter:
                    switch (state)
                    {
                        case SeparatorState.LowercaseLetterOrDigit:
                        case SeparatorState.SpaceSeparator:
                            builder.Append(separator);
                            break;
                        case SeparatorState.UppercaseLetter:
                            if (i + 1 < name.Length && char.IsLower(name[i + 1]))
                            {
                                builder.Append(separator);
                            }

                            break;
                    }

                    builder.Append(char.ToLowerInvariant(current));
                    state = SeparatorState.UppercaseLetter;
                    break;

                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.DecimalDigitNumber:
                    if (state == SeparatorState.SpaceSeparator)
                    {
                        builder.Append(separator);
                    }

                    builder.Append(current);
                    state = SeparatorState.LowercaseLetterOrDigit;
                    break;

                case UnicodeCategory.SpaceSeparator:
                    if (state != SeparatorState.NotStarted)
                    {
                        state = SeparatorState.SpaceSeparator;
                    }

                    break;

                default:
                    builder.Append(current);
                    state = SeparatorState.NotStarted;
                    break;
            }
        }

        return builder.ToString();
    }
}
