using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;
using NativeAotPersistence.Generators.Emit;
using NativeAotPersistence.Generators.Model;
using NativeAotPersistence.Generators.Parsing;

namespace NativeAotPersistence.Generators;

/// <summary>
/// Emits typed JSON serializers for the payload types of every <c>partial class X : PayloadContext</c>
/// marked with <c>[Payload(typeof(T))]</c>: one file for the context's members and one per type, so an edit re-emits
/// only the files of the types it changed.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PayloadGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.PayloadAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                ContextParser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        var models = parsed
            .Select(static (result, _) => result.Model)
            .WithTrackingName(TrackingNames.Models);

        var contextFiles = models
            .Where(static model => model is not null)
            .Select(static (model, _) => FileModels.ContextFile(model!))
            .WithTrackingName(TrackingNames.ContextFiles);

        var typeFiles = models
            .SelectMany(static (model, _) => model is null ? EquatableArray<TypeFileModel>.Empty : FileModels.TypeFiles(model))
            .WithTrackingName(TrackingNames.TypeFiles);

        var diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(contextFiles, static (spc, file) => spc.AddSource(file.HintName, Emitter.EmitContext(file)));
        context.RegisterSourceOutput(typeFiles, static (spc, file) => spc.AddSource(file.HintName, Emitter.EmitType(file)));

        // A diagnostic must point into the user's SyntaxTree (not at a bare file path) for #pragma warning disable,
        // [SuppressMessage] and .editorconfig severities to apply to it: the plain locations meet the compilation here to
        // find their trees. This step reruns on every compilation (a lookup by path, nothing for a context without
        // diagnostics) but its result is equal, and the output cached, while the diagnostics and the trees they point
        // into are the same; the parsing and the emitter never see the compilation.
        var located = diagnostics
            .Combine(context.CompilationProvider)
            .Select(static (input, _) => DiagnosticFactory.Locate(input.Left, input.Right));

        context.RegisterSourceOutput(located, static (spc, located) =>
        {
            for (var i = 0; i < located.Infos.Count; i++)
            {
                spc.ReportDiagnostic(DiagnosticFactory.ToDiagnostic(located.Infos[i], located.Trees[i]));
            }
        });
    }
}
