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

        context.RegisterSourceOutput(diagnostics, static (spc, infos) =>
        {
            foreach (var info in infos)
            {
                spc.ReportDiagnostic(DiagnosticFactory.ToDiagnostic(info));
            }
        });
    }
}
