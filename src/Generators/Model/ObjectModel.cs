namespace NativeAotPersistence.Generators.Model;

/// <summary>How a member gets its value when an object is read.</summary>
internal enum MemberSetter
{
    /// <summary>Not read from JSON (read-only property or field, or ignored).</summary>
    None,

    /// <summary>Assigned after construction through an accessible setter or a writable field.</summary>
    Assign,

    /// <summary>
    /// An init-only or inaccessible (<c>[JsonInclude]</c>) setter, called after construction (only when present) through an
    /// <c>UnsafeAccessor</c>.
    /// </summary>
    Accessor,

    /// <summary>An inaccessible (<c>[JsonInclude]</c>) field, assigned through an <c>UnsafeAccessor</c> that returns a reference.</summary>
    FieldAccessor,

    /// <summary>A <c>required</c> member, set in the object initializer.</summary>
    Initializer,

    /// <summary>Passed to the constructor.</summary>
    Constructor,
}

/// <summary>How a member's value is read when an object is written.</summary>
internal enum MemberGetter
{
    /// <summary><c>value.Member</c>.</summary>
    Direct,

    /// <summary>An inaccessible getter, called through an <c>UnsafeAccessor</c>.</summary>
    Accessor,

    /// <summary>An inaccessible field, read through an <c>UnsafeAccessor</c> that returns a reference.</summary>
    FieldAccessor,
}

/// <summary>When a member is left out of the written JSON.</summary>
internal enum WriteCondition
{
    Always,
    WhenNotNull,
    WhenNotDefault,
}

/// <summary>A class, struct or record written as a JSON object.</summary>
/// <param name="IsValueType">Whether it is a struct.</param>
/// <param name="Members">Members in write order.</param>
/// <param name="ConstructorArguments">Indexes into <paramref name="Members"/> in constructor parameter order, with default literals.</param>
/// <param name="ConstructorIsAccessor">Whether the constructor is inaccessible and called through an <c>UnsafeAccessor</c>.</param>
/// <param name="DisallowUnmapped">Whether a JSON property no member maps to fails the read (<c>[JsonUnmappedMemberHandling(Disallow)]</c>).</param>
internal sealed record ObjectModel(
    bool IsValueType,
    EquatableArray<MemberModel> Members,
    EquatableArray<ConstructorArgument> ConstructorArguments,
    bool ConstructorIsAccessor,
    bool DisallowUnmapped);

/// <summary>A constructor argument: the member it binds to, its declared type and the literal used when the JSON lacks it.</summary>
internal sealed record ConstructorArgument(int MemberIndex, string ParameterType, string DefaultValue);

/// <summary>A property or field of an object.</summary>
/// <param name="Name">The C# member name, escaped with <c>@</c> where it is a keyword.</param>
/// <param name="MetadataName">The member's name in metadata (for <c>UnsafeAccessor</c>).</param>
/// <param name="JsonName">The JSON property name after the naming policy or <c>[JsonPropertyName]</c>.</param>
/// <param name="TypeId">The id of the member's <see cref="TypeModel"/>.</param>
/// <param name="LocalType">The member type as declared (with nullable annotations), for locals.</param>
/// <param name="CanWrite">Whether the member is written to JSON.</param>
/// <param name="Condition">When the member is left out of the output.</param>
/// <param name="Getter">How the member is read when writing.</param>
/// <param name="Setter">How the member is set when reading.</param>
/// <param name="IsRequired">Whether reading fails when the JSON lacks it.</param>
/// <param name="Accessor">For accessors, the target type and how to call them; null otherwise.</param>
internal sealed record MemberModel(
    string Name,
    string MetadataName,
    string JsonName,
    string TypeId,
    string LocalType,
    bool CanWrite,
    WriteCondition Condition,
    MemberGetter Getter,
    MemberSetter Setter,
    bool IsRequired,
    AccessorModel? Accessor);

/// <summary>
/// Where a member's <c>UnsafeAccessor</c>s are declared. For a member of a generic type they live in a generic class whose
/// type parameters are the declaring type's, as the runtime requires.
/// </summary>
/// <param name="TargetType">The declaring type as the accessor's parameter: closed, or open over <paramref name="TypeParameters"/>.</param>
/// <param name="MemberType">The member type as the accessor declares it (in terms of <paramref name="TypeParameters"/>).</param>
/// <param name="TypeParameters">The declaring type's type parameter names, comma-separated; empty when it is not generic.</param>
/// <param name="TypeArguments">The closed type arguments, comma-separated, used at the call site.</param>
internal sealed record AccessorModel(string TargetType, string MemberType, string TypeParameters, string TypeArguments);
