namespace NativeAotPersistence.Generators.Model;

/// <summary>A source location as plain data; turned into a Roslyn <c>Location</c> only when a diagnostic is reported.</summary>
internal sealed record LocationInfo(
    string FilePath,
    int Start,
    int Length,
    int StartLine,
    int StartCharacter,
    int EndLine,
    int EndCharacter);
