namespace NativeAotPersistence.Generators.Model;

/// <summary>Everything the generator knows of one <c>PayloadContext</c>.</summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="ClassName">The context class name.</param>
/// <param name="HintName">The generated file name of the context's own members; each type gets a file of its own.</param>
/// <param name="EnumsAsNumbers">Whether enums are written as numbers.</param>
/// <param name="Types">Every type the context serializes, roots first then reachable types, in a stable order.</param>
internal sealed record ContextModel(
    string Namespace,
    string ClassName,
    string HintName,
    bool EnumsAsNumbers,
    EquatableArray<TypeModel> Types);

/// <summary>The result of parsing one context: the model (null when it cannot be generated) and its diagnostics.</summary>
internal sealed record ParseResult(ContextModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>What the context's own file needs: its name and the roots' properties. Changes only when the roots do.</summary>
internal sealed record ContextFileModel(string Namespace, string ClassName, string HintName, EquatableArray<RootModel> Roots);

/// <summary>A root's generated property.</summary>
internal sealed record RootModel(string Id, string FullyQualifiedName, string DisplayName, string PropertyName, bool IsPublic, string LookupKey);

/// <summary>
/// What one type's file needs: the type and what it must know of the types it refers to. Equal from one edit to the next
/// unless that type (or a referenced type's shape) changed, so an edit re-emits only the files it affects.
/// </summary>
internal sealed record TypeFileModel(
    string Namespace,
    string ClassName,
    string HintName,
    bool EnumsAsNumbers,
    TypeModel Type,
    EquatableArray<TypeRef> References);
