namespace NativeAotPersistence.Generators.Parsing;

/// <summary>Metadata names of the types the parser recognizes.</summary>
internal static class KnownNames
{
    public const string PayloadAttribute = "NativeAotPersistence.PayloadAttribute";
    public const string PayloadOptionsAttribute = "NativeAotPersistence.PayloadOptionsAttribute";
    public const string PayloadContext = "NativeAotPersistence.PayloadContext";

    public const string JsonPropertyName = "System.Text.Json.Serialization.JsonPropertyNameAttribute";
    public const string JsonIgnore = "System.Text.Json.Serialization.JsonIgnoreAttribute";
    public const string JsonPropertyOrder = "System.Text.Json.Serialization.JsonPropertyOrderAttribute";
    public const string JsonRequired = "System.Text.Json.Serialization.JsonRequiredAttribute";
    public const string JsonConstructor = "System.Text.Json.Serialization.JsonConstructorAttribute";
    public const string JsonConverter = "System.Text.Json.Serialization.JsonConverterAttribute";
    public const string JsonDerivedType = "System.Text.Json.Serialization.JsonDerivedTypeAttribute";
    public const string JsonPolymorphic = "System.Text.Json.Serialization.JsonPolymorphicAttribute";
    public const string JsonExtensionData = "System.Text.Json.Serialization.JsonExtensionDataAttribute";
    public const string JsonStringEnumMemberName = "System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute";
    public const string JsonInclude = "System.Text.Json.Serialization.JsonIncludeAttribute";
    public const string JsonUnmappedMemberHandling = "System.Text.Json.Serialization.JsonUnmappedMemberHandlingAttribute";
    public const string JsonNumberHandling = "System.Text.Json.Serialization.JsonNumberHandlingAttribute";
    public const string JsonObjectCreationHandling = "System.Text.Json.Serialization.JsonObjectCreationHandlingAttribute";
    public const string JsonSerializable = "System.Text.Json.Serialization.JsonSerializableAttribute";
    public const string JsonSourceGenerationOptions = "System.Text.Json.Serialization.JsonSourceGenerationOptionsAttribute";
    public const string SerializationNamespace = "System.Text.Json.Serialization.";
    public const string SetsRequiredMembers = "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute";
    public const string Flags = "System.FlagsAttribute";

    // Values of JsonUnmappedMemberHandling, JsonNumberHandling and JsonObjectCreationHandling.
    public const int UnmappedDisallow = 1;
    public const int NumberHandlingStrict = 0;
    public const int ObjectCreationReplace = 0;

    // Values of System.Text.Json.Serialization.JsonIgnoreCondition (Never, 0, changes nothing).
    public const int IgnoreAlways = 1;
    public const int IgnoreWhenWritingDefault = 2;
    public const int IgnoreWhenWritingNull = 3;
    public const int IgnoreWhenWriting = 4;
    public const int IgnoreWhenReading = 5;
}
