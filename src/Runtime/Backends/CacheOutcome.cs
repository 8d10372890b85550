using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: what a cache get found, as <c>nap.cache.lookups</c> reports it (<see cref="BackendTelemetry.CacheLookup"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum CacheOutcome
{
    /// <summary>No entry under the key.</summary>
    Miss,

    /// <summary>A live entry.</summary>
    Hit,

    /// <summary>An entry whose expiry passed and that was not reclaimed yet: a miss to the caller.</summary>
    Expired,
}
