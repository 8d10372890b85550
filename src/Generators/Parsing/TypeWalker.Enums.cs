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
    private EnumModel BuildEnum(INamedTypeSymbol type, Location? location)
    {
        foreach (var attribute in type.GetAttributes())
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            // [JsonConverter(typeof(JsonStringEnumConverter))] asks for exactly what the generator does unless enums are numbers.
            if (name == KnownNames.JsonConverter && (_enumsAsNumbers || !IsStringEnumConverter(attribute)))
            {
                _diagnostics.Add(DiagnosticFactory.Create(DiagnosticDescriptors.JsonConverterUnsupported, SourceLocation(type) ?? location, Name(type)));
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
                }
            }

            var value = Convert.ToString(field.ConstantValue, CultureInfo.InvariantCulture) ?? "0";
            members.Add(new EnumMemberModel(field.Name, jsonName, value, written.Add(value), isCustom));
        }

        var isFlags = type.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownNames.Flags);
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
