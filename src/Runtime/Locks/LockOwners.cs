using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: lock owners: the caller's, validated as a key, or a generated one, unique across processes and machines.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LockOwners
{
    internal static string New() => Guid.NewGuid().ToString("N");

    /// <summary>The owner of a lock a caller asks for.</summary>
    /// <param name="owner">The caller's owner, or <see langword="null"/> for a new one.</param>
    /// <returns><paramref name="owner"/>, or a new unique owner (32 hex digits) when it is <see langword="null"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="owner"/> is empty or holds a lone surrogate.</exception>
    public static string Validate(string? owner)
    {
        if (owner is null)
        {
            return New();
        }

        Keys.Validate(owner, nameof(owner));
        return owner;
    }
}
