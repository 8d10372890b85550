namespace NativeAotPersistence;

/// <summary>A stored result of an idempotent operation.</summary>
/// <typeparam name="T">The result type.</typeparam>
/// <param name="Value">The stored result.</param>
/// <param name="ExpiresAt">When the record expires, or <see langword="null"/> for never.</param>
public sealed record IdempotencyRecord<T>(T Value, DateTimeOffset? ExpiresAt);
