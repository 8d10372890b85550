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

/// <summary>The built-in scalar types, written inline through the runtime's <c>PayloadJson</c> helpers.</summary>
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
}

/// <summary>The collection interface or class a collection member is declared as.</summary>
internal enum CollectionKind
{
    Array,
    List,
    IList,
    ICollection,
    IEnumerable,
    IReadOnlyList,
    IReadOnlyCollection,
    Dictionary,
    IDictionary,
    IReadOnlyDictionary,
}

/// <summary>One type the context serializes.</summary>
/// <param name="Id">A unique identifier used to name the generated methods.</param>
/// <param name="FullyQualifiedName">The <c>global::</c>-qualified C# type name.</param>
/// <param name="DisplayName">The C# name used in exception messages.</param>
/// <param name="PropertyName">The name of the generated property, or null when the type gets none.</param>
/// <param name="IsPublic">Whether the type is public everywhere it appears, so its property can be public.</param>
/// <param name="IsReferenceType">Whether <c>null</c> is a valid value.</param>
/// <param name="Shape">How the type is read and written.</param>
/// <param name="BuiltIn">For <see cref="TypeShape.BuiltIn"/>, which one.</param>
/// <param name="ElementId">The id of the element type (collections, dictionary values, nullable underlying types).</param>
/// <param name="ElementFullyQualifiedName">The fully qualified element type name.</param>
/// <param name="CollectionKind">For collections and dictionaries, the declared kind.</param>
/// <param name="Enum">For enums, their members.</param>
/// <param name="Object">For objects, their members and constructor.</param>
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
    CollectionKind CollectionKind,
    EnumModel? Enum,
    ObjectModel? Object);

/// <summary>An enum: its underlying type and named members.</summary>
internal sealed record EnumModel(string UnderlyingType, bool IsFlags, EquatableArray<EnumMemberModel> Members);

/// <summary>A named enum member.</summary>
/// <param name="Name">The C# member name.</param>
/// <param name="JsonName">The name written to JSON.</param>
/// <param name="Value">The constant value as a C# literal of the underlying type.</param>
/// <param name="IsWritten">Whether this name is the one written for its value (the first declared one).</param>
internal sealed record EnumMemberModel(string Name, string JsonName, string Value, bool IsWritten);
