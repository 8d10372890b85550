using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeAotPersistence.Generators.Parsing;

/// <summary>C# identifiers for generated code.</summary>
internal static class Identifiers
{
    /// <summary><paramref name="name"/> as it must be written in C# source: <c>@class</c> for a keyword.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>The letters, digits and underscores of <paramref name="name"/>: a fragment of a generated identifier or file name.</summary>
    public static string Sanitize(string name) =>
        new(name.Where(static c => char.IsLetterOrDigit(c) || c == '_').ToArray());
}
