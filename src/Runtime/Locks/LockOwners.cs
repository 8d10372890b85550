namespace NativeAotPersistence;

/// <summary>Generated lock owners: unique across processes and machines.</summary>
internal static class LockOwners
{
    public static string New() => Guid.NewGuid().ToString("N");

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
