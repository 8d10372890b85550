namespace NativeAotPersistence;

/// <summary>The result of <see cref="ICacheProvider.TryGetAsync{T}(string, CancellationToken)"/>.</summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="Found">Whether a live entry exists.</param>
/// <param name="Value">The stored value when <paramref name="Found"/>; otherwise <see langword="default"/>.</param>
public readonly record struct CacheLookup<T>(bool Found, T? Value);
