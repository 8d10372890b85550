using System;
using System.Collections.Generic;
using System.Collections.Immutable;
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

    /// <summary>
    /// Finds, in <paramref name="compilation"/>, the syntax tree of each location of <paramref name="infos"/>: same path,
    /// and the span covers the same lines there (so a stale location never lands in a newer tree).
    /// </summary>
    public static LocatedDiagnostics Locate(EquatableArray<DiagnosticInfo> infos, Compilation compilation)
    {
        if (infos.Count == 0)
        {
            return new LocatedDiagnostics(infos, ImmutableArray<SyntaxTree?>.Empty);
        }

        Dictionary<string, List<SyntaxTree>>? byPath = null;
        var trees = ImmutableArray.CreateBuilder<SyntaxTree?>(infos.Count);
        foreach (var info in infos)
        {
            SyntaxTree? found = null;
            if (info.Location is { } location)
            {
                byPath ??= IndexByPath(compilation);
                found = Find(byPath, location);
            }

            trees.Add(found);
        }

        return new LocatedDiagnostics(infos, trees.MoveToImmutable());
    }

    /// <summary>
    /// The diagnostic of <paramref name="info"/>, located in <paramref name="tree"/>, the compilation's own tree, so that
    /// <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> and the tree's <c>.editorconfig</c> severities apply to it.
    /// Without a tree (which <see cref="Locate"/> should not leave) it keeps the file path and lines.
    /// </summary>
    public static Diagnostic ToDiagnostic(DiagnosticInfo info, SyntaxTree? tree)
    {
        var descriptor = DiagnosticDescriptors.Find(info.Id)!;
        var location = Location.None;
        if (info.Location is { } l)
        {
            var span = new TextSpan(l.Start, l.Length);
            location = tree is not null
                ? Location.Create(tree, span)
                : Location.Create(l.FilePath, span, new LinePositionSpan(new LinePosition(l.StartLine, l.StartCharacter), new LinePosition(l.EndLine, l.EndCharacter)));
        }

        return Diagnostic.Create(descriptor, location, info.MessageArgs.Cast<object>().ToArray());
    }

    private static SyntaxTree? Find(Dictionary<string, List<SyntaxTree>> byPath, LocationInfo location)
    {
        if (!byPath.TryGetValue(location.FilePath, out var candidates))
        {
            return null;
        }

        foreach (var tree in candidates)
        {
            if (location.Start + location.Length > tree.Length)
            {
                continue;
            }

            var lines = tree.GetLineSpan(new TextSpan(location.Start, location.Length));
            if (lines.StartLinePosition == new LinePosition(location.StartLine, location.StartCharacter) &&
                lines.EndLinePosition == new LinePosition(location.EndLine, location.EndCharacter))
            {
                return tree;
            }
        }

        return null;
    }

    private static Dictionary<string, List<SyntaxTree>> IndexByPath(Compilation compilation)
    {
        var byPath = new Dictionary<string, List<SyntaxTree>>(StringComparer.Ordinal);
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (!byPath.TryGetValue(tree.FilePath, out var list))
            {
                byPath.Add(tree.FilePath, list = []);
            }

            list.Add(tree);
        }

        return byPath;
    }
}

/// <summary>
/// A context's diagnostics with the syntax tree of each location (null: none). Equal when the diagnostics are equal and
/// point into the very same trees, so a new compilation in which neither changed reports nothing anew, and one in which a
/// tree they point into changed reports them again, in the new tree.
/// </summary>
internal sealed class LocatedDiagnostics(EquatableArray<DiagnosticInfo> infos, ImmutableArray<SyntaxTree?> trees) : IEquatable<LocatedDiagnostics>
{
    public EquatableArray<DiagnosticInfo> Infos { get; } = infos;

    public ImmutableArray<SyntaxTree?> Trees { get; } = trees;

    public bool Equals(LocatedDiagnostics? other)
    {
        if (other is null || Infos != other.Infos || Trees.Length != other.Trees.Length)
        {
            return false;
        }

        for (var i = 0; i < Trees.Length; i++)
        {
            if (!ReferenceEquals(Trees[i], other.Trees[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as LocatedDiagnostics);

    public override int GetHashCode() => Infos.GetHashCode();
}
