namespace NativeAotPersistence;

/// <summary>One live idempotency record, without its value, as <see cref="IPersistenceAdmin.ListIdempotencyKeysAsync"/> lists it.</summary>
/// <param name="Key">The key, without prefix.</param>
/// <param name="ExpiresAt">When it expires, or <see langword="null"/> for never.</param>
/// <param name="CreatedAt">When it was first stored, if known.</param>
/// <param name="ValueBytes">The size of the stored UTF-8 JSON value.</param>
public sealed record IdempotencyKeySummary(string Key, DateTimeOffset? ExpiresAt, DateTimeOffset? CreatedAt, int ValueBytes);
