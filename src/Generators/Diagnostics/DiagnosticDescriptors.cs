using Microsoft.CodeAnalysis;

namespace NativeAotPersistence.Generators.Diagnostics;

/// <summary>Every diagnostic the payload generator and analyzer report. Ids are stable; each has a page under <c>docs/diagnostics/</c>.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "NativeAotPersistence.Payloads";

    public static readonly DiagnosticDescriptor ContextNotPartial = Create(
        "NAP0001",
        "Payload context must be partial",
        "The payload context '{0}' must be declared 'partial' so the generator can add its members",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ContextNotPayloadContext = Create(
        "NAP0002",
        "Payload context must derive from PayloadContext",
        "The class '{0}' has [Payload] attributes but does not derive from NativeAotPersistence.PayloadContext",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedType = Create(
        "NAP0003",
        "Payload member type is not supported",
        "The type '{0}' of '{1}' is not supported by the payload generator: {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoUsableConstructor = Create(
        "NAP0004",
        "Payload type has no usable constructor",
        "The payload type '{0}' cannot be created when reading: {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateRoot = Create(
        "NAP0005",
        "Payload type registered twice",
        "The payload type '{0}' is registered more than once in '{1}'; remove the duplicate [Payload] attribute",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor RootPropertyNameCollision = Create(
        "NAP0006",
        "Generated property names collide",
        "The payload types '{0}' and '{1}' would both generate the property '{2}'; set PropertyName on one of the [Payload] attributes, e.g. [Payload(typeof({1}), PropertyName = \"...\")]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor JsonNameCollision = Create(
        "NAP0007",
        "JSON property names collide",
        "The members '{0}' and '{1}' of '{2}' both map to the JSON property name '{3}'; rename one or use [JsonPropertyName]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor JsonConverterUnsupported = Create(
        "NAP0008",
        "[JsonConverter] is not supported",
        "[JsonConverter] on '{0}' is not supported by the payload generator; remove it or register a type without a custom converter",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PolymorphismUnsupported = Create(
        "NAP0009",
        "Polymorphic payloads are not supported",
        "[{1}] on '{0}' is not supported by the payload generator; register each concrete type as its own payload",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ExtensionDataUnsupported = Create(
        "NAP0010",
        "[JsonExtensionData] is not supported",
        "[JsonExtensionData] on '{0}' is not supported by the payload generator; unknown JSON properties are skipped",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnregisteredPayloadType = Create(
        "NAP0011",
        "Payload type is not registered",
        "The payload type '{0}' is neither built in nor registered in a PayloadContext of this compilation, so this call throws PayloadTypeNotRegisteredException; add [Payload(typeof({0}))] to a 'partial class ... : PayloadContext'",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ContextMustBeTopLevel = Create(
        "NAP0012",
        "Payload context must be a top-level non-generic class",
        "The payload context '{0}' must be a top-level, non-generic class",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AttributeUnsupported = Create(
        "NAP0013",
        "JSON attribute not supported here",
        "{0} on '{1}' is not supported by the payload generator: {2}",
        DiagnosticSeverity.Error);

    public static DiagnosticDescriptor? Find(string id)
    {
        return id switch
        {
            "NAP0001" => ContextNotPartial,
            "NAP0002" => ContextNotPayloadContext,
            "NAP0003" => UnsupportedType,
            "NAP0004" => NoUsableConstructor,
            "NAP0005" => DuplicateRoot,
            "NAP0006" => RootPropertyNameCollision,
            "NAP0007" => JsonNameCollision,
            "NAP0008" => JsonConverterUnsupported,
            "NAP0009" => PolymorphismUnsupported,
            "NAP0010" => ExtensionDataUnsupported,
            "NAP0011" => UnregisteredPayloadType,
            "NAP0012" => ContextMustBeTopLevel,
            "NAP0013" => AttributeUnsupported,
            _ => null,
        };
    }

    /// <summary>
    /// The page of diagnostic <paramref name="id"/> under <paramref name="repositoryUrl"/> (the build's
    /// <c>RepositoryUrl</c>); <see langword="null"/> without one: a relative path would point nowhere from a user's IDE.
    /// </summary>
    internal static string? HelpLink(string repositoryUrl, string id) =>
        repositoryUrl.Trim().Length == 0 ? null : repositoryUrl.Trim().TrimEnd('/') + "/blob/main/docs/diagnostics/" + id + ".md";

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity)
    {
        return new DiagnosticDescriptor(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpLink(RepositoryInfo.Url, id));
    }
}
