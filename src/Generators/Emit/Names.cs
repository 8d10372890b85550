namespace NativeAotPersistence.Generators.Emit;

/// <summary>Fully qualified names the generated code uses.</summary>
internal static class Names
{
    public const string Writer = "global::System.Text.Json.Utf8JsonWriter";
    public const string Reader = "global::System.Text.Json.Utf8JsonReader";
    public const string TokenType = "global::System.Text.Json.JsonTokenType";
    public const string JsonException = "global::System.Text.Json.JsonException";
    public const string EncodedText = "global::System.Text.Json.JsonEncodedText";
    public const string Helpers = "global::NativeAotPersistence.Payloads.PayloadJson";
    public const string EnumFormat = "global::NativeAotPersistence.Payloads.PayloadEnumFormat";
    public const string Converters = "global::System.Text.Json.Serialization.Metadata.JsonMetadataServices";
    public const string TypeInfo = "global::NativeAotPersistence.PayloadTypeInfo";
    public const string Type = "global::System.Type";
    public const string List = "global::System.Collections.Generic.List";
    public const string Dictionary = "global::System.Collections.Generic.Dictionary";
    public const string ByteSpan = "global::System.ReadOnlySpan<byte>";
    public const string SequenceEqual = "global::System.MemoryExtensions.SequenceEqual";
    public const string UnsafeAccessor = "global::System.Runtime.CompilerServices.UnsafeAccessor";
    public const string UnsafeAccessorKind = "global::System.Runtime.CompilerServices.UnsafeAccessorKind";
    public const string EqualityComparer = "global::System.Collections.Generic.EqualityComparer";
}
