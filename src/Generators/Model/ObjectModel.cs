namespace NativeAotPersistence.Generators.Model;

/// <summary>How a member gets its value when an object is read.</summary>
internal enum MemberSetter
{
    /// <summary>Not read from JSON (read-only property or field, or ignored).</summary>
    None,

    /// <summary>Assigned after construction through a public setter or a writable field.</summary>
    Assign,

    /// <summary>An init-only member, set after construction (only when present) through an <c>UnsafeAccessor</c>.</summary>
    InitAccessor,

    /// <summary>A <c>required</c> member, set in the object initializer.</summary>
    Initializer,

    /// <summary>Passed to the constructor.</summary>
    Constructor,
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
/// <param name="CanRead">Whether the type can be created when reading (false when it has no usable constructor).</param>
internal sealed record ObjectModel(
    bool IsValueType,
    EquatableArray<MemberModel> Members,
    EquatableArray<ConstructorArgument> ConstructorArguments,
    bool CanRead);

/// <summary>A constructor argument: the member it binds to and the literal used when the JSON lacks it.</summary>
internal sealed record ConstructorArgument(int MemberIndex, string DefaultValue);

/// <summary>A property or field of an object.</summary>
/// <param name="Name">The C# member name.</param>
/// <param name="JsonName">The JSON property name after the naming policy or <c>[JsonPropertyName]</c>.</param>
/// <param name="TypeId">The id of the member's <see cref="TypeModel"/>.</param>
/// <param name="LocalType">The member type as declared (with nullable annotations), for locals.</param>
/// <param name="CanWrite">Whether the member is written to JSON.</param>
/// <param name="Condition">When the member is left out of the output.</param>
/// <param name="Setter">How the member is set when reading.</param>
/// <param name="IsRequired">Whether reading fails when the JSON lacks it.</param>
/// <param name="IsField">Whether it is a field.</param>
/// <param name="DeclaringType">The fully qualified type that declares the member (for init accessors).</param>
internal sealed record MemberModel(
    string Name,
    string JsonName,
    string TypeId,
    string LocalType,
    bool CanWrite,
    WriteCondition Condition,
    MemberSetter Setter,
    bool IsRequired,
    bool IsField,
    string DeclaringType);
