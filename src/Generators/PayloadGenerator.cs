using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;
using NativeAotPersistence.Generators.Emit;
using NativeAotPersistence.Generators.Model;
using NativeAotPersistence.Generators.Parsing;

namespace NativeAotPersistence.Generators;

/// <summary>
/// Emits typed JSON serializers for the payload types of every <c>partial class X : PayloadContext</c>
/// marked with <c>[Payload(typeof(T))]</c>.
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

        var diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            if (model is not null)
            {
                spc.AddSource(model.HintName, Emitter.Emit(model));
            }
        });

        context.RegisterSourceOutput(diagnostics, static (spc, infos) =>
        {
            foreach (var info in infos)
            {
                spc.ReportDiagnostic(DiagnosticFactory.ToDiagnostic(info));
            }
        });
    }
}
