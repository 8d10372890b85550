namespace NativeAotPersistence.Generators;

/// <summary>Names of the tracked incremental pipeline steps; tests assert their caching.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Models = nameof(Models);
    public const string ContextFiles = nameof(ContextFiles);
    public const string TypeFiles = nameof(TypeFiles);
    public const string Diagnostics = nameof(Diagnostics);
}
