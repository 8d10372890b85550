using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeAotPersistence.Generators.Parsing;

/// <summary>C# literals for constructor parameter default values.</summary>
internal static class Literals
{
    public static string DefaultValue(IParameterSymbol parameter)
    {
        var type = parameter.Type.ToDisplayString(TypeWalker.Annotated);
        if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is null)
        {
            return parameter.Type.IsReferenceType ? "default!" : "default";
        }

        var value = parameter.ExplicitDefaultValue;
        string literal = value switch
        {
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            char c => SymbolDisplay.FormatLiteral(c, quote: true),
            bool b => b ? "true" : "false",
            float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
            double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "default",
        };
        return "(" + type + ")(" + literal + ")";
    }
}
