namespace NativeAotPersistence;

/// <summary>The owner-checked release a <see cref="LockHandle"/> needs from its provider.</summary>
internal interface ILockReleaser
{
    /// <summary>Removes the lock only if <paramref name="owner"/> holds it.</summary>
    ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken);
}
