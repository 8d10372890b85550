using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Parsing;

internal sealed partial class TypeWalker
{
    private EnumModel BuildEnum(Entry entry, INamedTypeSymbol type, Location? location)
    {
        var isFlags = type.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownNames.Flags);
        foreach (var attribute in type.GetAttributes())
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            // [JsonConverter(typeof(JsonStringEnumConverter))] asks for exactly what the generator does unless enums are numbers.
            if (name == KnownNames.JsonConverter && (_enumsAsNumbers || !IsStringEnumConverter(attribute)))
            {
                Refuse(entry, DiagnosticDescriptors.JsonConverterUnsupported, SourceLocation(type) ?? location, Name(type));
            }
        }

        var members = new List<EnumMemberModel>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in type.GetMembers().OfType<IFieldSymbol>())
        {
            if (!field.HasConstantValue)
            {
                continue;
            }

            var jsonName = field.Name;
            var isCustom = false;
            foreach (var attribute in field.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == KnownNames.JsonStringEnumMemberName &&
                    attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string custom)
                {
                    jsonName = custom;
                    isCustom = true;

                    // JsonStringEnumConverter refuses the whole enum for such a name (at run time); so does the generator.
                    if (custom.Trim().Length == 0 || custom.Trim().Length != custom.Length || (isFlags && custom.IndexOf(',') >= 0))
                    {
                        Refuse(entry, DiagnosticDescriptors.AttributeUnsupported, SourceLocation(field) ?? location,
                            "[JsonStringEnumMemberName(" + Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(custom, quote: true) + ")]",
                            Name(type) + "." + field.Name,
                            "System.Text.Json refuses the whole enum for a name that is empty, starts or ends with white space" + (isFlags ? ", or holds a comma (in a [Flags] enum)" : "") + "; choose another name");
                    }
                }
            }

            var value = Convert.ToString(field.ConstantValue, CultureInfo.InvariantCulture) ?? "0";
            members.Add(new EnumMemberModel(field.Name, jsonName, value, written.Add(value), isCustom));
        }

        var underlying = type.EnumUnderlyingType?.ToDisplayString() ?? "int";
        return new EnumModel(underlying, isFlags, members.ToEquatableArray());
    }

    private static bool IsStringEnumConverter(AttributeData attribute)
    {
        return attribute.ConstructorArguments.Length == 1 &&
               attribute.ConstructorArguments[0].Value is INamedTypeSymbol converter &&
               converter.ContainingNamespace?.ToDisplayString() == "System.Text.Json.Serialization" &&
               converter.Name == "JsonStringEnumConverter";
    }
}
