namespace NativeAotPersistence.Generators.Model;

/// <summary>Everything the emitter needs to print one <c>PayloadContext</c>.</summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="ClassName">The context class name.</param>
/// <param name="HintName">The generated file name.</param>
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
