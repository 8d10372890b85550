namespace NativeAotPersistence.Generators.Model;

/// <summary>How a type is read and written.</summary>
internal enum TypeShape
{
    BuiltIn,
    Nullable,
    Enum,
    Collection,
    Dictionary,
    Object,
}

/// <summary>
/// The built-in scalar types. The first group (up to <see cref="TimeSpan"/>) is written inline through the runtime's
/// <c>PayloadJson</c> helpers and needs no context; the second group is written by System.Text.Json's own converters
/// (<c>JsonMetadataServices.*Converter</c>), so its wire format is theirs by construction, and needs a registration.
/// </summary>
internal enum BuiltInKind
{
    None,
    String,
    ByteArray,
    Boolean,
    Byte,
    SByte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    Guid,
    DateTime,
    DateTimeOffset,
    TimeSpan,

    // Written by System.Text.Json's converters.
    Char,
    DateOnly,
    TimeOnly,
    Half,
    Int128,
    UInt128,
    Uri,
    Version,
    JsonElement,
    JsonDocument,
    JsonNode,
    JsonObject,
    JsonArray,
    JsonValue,
}

/// <summary>How a collection or dictionary is enumerated when written.</summary>
internal enum CollectionKind
{
    /// <summary>An array: <c>Length</c> and an indexer.</summary>
    Array,

    /// <summary><c>Count</c> and an indexer (<c>List&lt;T&gt;</c>, <c>IList&lt;T&gt;</c>, <c>IReadOnlyList&lt;T&gt;</c>).</summary>
    Indexed,

    /// <summary>A collection interface: a <c>List&lt;T&gt;</c> (or <c>Dictionary</c>) behind it is indexed, anything else enumerated.</summary>
    Interface,

    /// <summary><c>foreach</c> over the declared type (its own, often struct, enumerator).</summary>
    Enumerated,
}

/// <summary>How a collection or dictionary is created and filled when read.</summary>
/// <param name="Create">The expression that creates the buffer the values are added to.</param>
/// <param name="Add">The statement format that adds one value: <c>{0}</c> the buffer, <c>{1}</c> the value, <c>{2}</c> the key.</param>
/// <param name="Finish">The expression format that turns the buffer into the result: <c>{0}</c> the buffer.</param>
internal sealed record CollectionModel(string Create, string Add, string Finish);

/// <summary>One type the context serializes.</summary>
/// <param name="Id">A unique identifier used to name the generated class and members.</param>
/// <param name="FullyQualifiedName">The <c>global::</c>-qualified C# type name.</param>
/// <param name="DisplayName">The C# name used in exception messages.</param>
/// <param name="PropertyName">The name of the generated property, or null when the type gets none.</param>
/// <param name="IsPublic">Whether the type is public everywhere it appears, so its property can be public.</param>
/// <param name="IsReferenceType">Whether <c>null</c> is a valid value.</param>
/// <param name="Shape">How the type is read and written.</param>
/// <param name="BuiltIn">For <see cref="TypeShape.BuiltIn"/>, which one.</param>
/// <param name="ElementId">The id of the element type (collections, dictionary values, nullable underlying types).</param>
/// <param name="ElementFullyQualifiedName">The fully qualified element type name.</param>
/// <param name="KeyId">For dictionaries, the id of the key type.</param>
/// <param name="KeyFullyQualifiedName">For dictionaries, the fully qualified key type name.</param>
/// <param name="CollectionKind">For collections and dictionaries, how they are enumerated.</param>
/// <param name="Collection">For collections and dictionaries, how they are created when read.</param>
/// <param name="Enum">For enums, their members.</param>
/// <param name="Object">For objects, their members and constructor.</param>
/// <param name="LookupKey">The key <c>GetTypeInfo</c> finds the type by without loading the others (<c>PayloadJson.TypeKey</c>).</param>
/// <param name="Refusal">
/// The compile-time error that refused the type (its id and message), or null. A refused type is generated anyway, so a
/// suppressed error does not break the build of the rest, but its serializer throws instead of dropping members.
/// </param>
internal sealed record TypeModel(
    string Id,
    string FullyQualifiedName,
    string DisplayName,
    string? PropertyName,
    bool IsPublic,
    bool IsReferenceType,
    TypeShape Shape,
    BuiltInKind BuiltIn,
    string? ElementId,
    string? ElementFullyQualifiedName,
    string? KeyId,
    string? KeyFullyQualifiedName,
    CollectionKind CollectionKind,
    CollectionModel? Collection,
    EnumModel? Enum,
    ObjectModel? Object,
    string? Refusal,
    string LookupKey)
{
    /// <summary>What other types' generated code needs to know of this one.</summary>
    public TypeRef ToRef() => new(Id, FullyQualifiedName, DisplayName, IsReferenceType, Shape, BuiltIn);
}

/// <summary>What the generated code of one type needs to know of another it reads or writes.</summary>
internal sealed record TypeRef(string Id, string FullyQualifiedName, string DisplayName, bool IsReferenceType, TypeShape Shape, BuiltInKind BuiltIn);

/// <summary>An enum: its underlying type and named members.</summary>
/// <param name="UnderlyingType">The C# keyword of the underlying type.</param>
/// <param name="IsFlags">Whether it is <c>[Flags]</c>.</param>
/// <param name="Members">The members in declaration order.</param>
internal sealed record EnumModel(string UnderlyingType, bool IsFlags, EquatableArray<EnumMemberModel> Members);

/// <summary>A named enum member.</summary>
/// <param name="Name">The C# member name.</param>
/// <param name="JsonName">The name written to JSON.</param>
/// <param name="Value">The constant value as a C# literal of the underlying type.</param>
/// <param name="IsWritten">Whether this name is the one written for its value (the first declared one).</param>
/// <param name="IsCustom">Whether the name comes from <c>[JsonStringEnumMemberName]</c> (matched case-sensitively).</param>
internal sealed record EnumMemberModel(string Name, string JsonName, string Value, bool IsWritten, bool IsCustom);
