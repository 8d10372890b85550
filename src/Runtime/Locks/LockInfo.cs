namespace NativeAotPersistence;

/// <summary>The live holder of a lock.</summary>
/// <param name="Key">The lock's key, without prefix.</param>
/// <param name="Owner">The owner that holds it.</param>
/// <param name="ExpiresAt">When it expires unless extended.</param>
/// <param name="FencingToken">The token handed to this holder.</param>
public sealed record LockInfo(string Key, string Owner, DateTimeOffset ExpiresAt, long FencingToken);
