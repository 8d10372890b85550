using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Diagnostics;

/// <summary>Converts between Roslyn locations and the plain <see cref="LocationInfo"/> the model holds.</summary>
internal static class DiagnosticFactory
{
    public static LocationInfo? ToInfo(Location? location)
    {
        if (location is null || !location.IsInSource)
        {
            return null;
        }

        var line = location.GetLineSpan();
        return new LocationInfo(
            line.Path ?? "",
            location.SourceSpan.Start,
            location.SourceSpan.Length,
            line.StartLinePosition.Line,
            line.StartLinePosition.Character,
            line.EndLinePosition.Line,
            line.EndLinePosition.Character);
    }

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] args)
    {
        return new DiagnosticInfo(descriptor.Id, ToInfo(location), args.ToEquatableArray());
    }

    public static Diagnostic ToDiagnostic(DiagnosticInfo info)
    {
        var descriptor = DiagnosticDescriptors.Find(info.Id)!;
        var location = info.Location is { } l
            ? Location.Create(
                l.FilePath,
                new TextSpan(l.Start, l.Length),
                new LinePositionSpan(new LinePosition(l.StartLine, l.StartCharacter), new LinePosition(l.EndLine, l.EndCharacter)))
            : Location.None;
        return Diagnostic.Create(descriptor, location, info.MessageArgs.Cast<object>().ToArray());
    }
}
