namespace NativeAotPersistence.Tests.Architecture;

/// <summary>
/// Every kind of record the library stores, as the tests know it: the adapter property that exposes its provider,
/// its table, how to write one live row, and where <see cref="PersistenceStats"/> counts it. A kind added to
/// <see cref="IPersistenceAdapter"/> without an entry here fails <see cref="KindRegistrationTests"/>, and an entry
/// whose registration a backend, the admin API, pruning or the schema misses fails the conformance runs.
/// </summary>
public static class Kinds
{
    public static readonly IReadOnlyDictionary<string, Kind> All = new Dictionary<string, Kind>
    {
        ["Cache"] = new("go_goscope_cache", Expires: true,
            (p, ttl, ct) => p.Cache.SetAsync("kind", 1, ttl, ct), s => s.Cache.Live + s.Cache.Expired),
        ["Locks"] = new("go_goscope_locks", Expires: true,
            async (p, ttl, ct) => await p.Locks.AcquireAsync("kind", ttl ?? TimeSpan.FromMinutes(1), cancellationToken: ct), s => s.Locks.Live + s.Locks.Expired),
        ["CircuitBreakers"] = new("go_goscope_circuit", Expires: false,
            async (p, _, ct) => await p.CircuitBreakers.RecordFailureAsync("kind", 5, ct), s => s.Circuits),
        ["Checkpoints"] = new("go_goscope_checkpoints", Expires: false,
            (p, _, ct) => p.Checkpoints.SaveAsync(new Checkpoint<int>("kind#1", "kind", 1, DateTimeOffset.UnixEpoch, 0, 1), ct), s => s.Checkpoints),
        ["Semaphores"] = new("go_goscope_semaphores", Expires: true,
            async (p, ttl, ct) => await p.Semaphores.AcquireAsync("kind", 2, ttl ?? TimeSpan.FromMinutes(1), null, ct), s => s.Semaphores.Live + s.Semaphores.Expired),
        ["RateLimits"] = new("go_goscope_ratelimits", Expires: true,
            (p, ttl, ct) => WriteRateLimitAsync(p, ttl ?? TimeSpan.FromMinutes(1), ct), s => s.RateLimits.Live + s.RateLimits.Expired),
        ["Idempotency"] = new("go_goscope_idempotency", Expires: true,
            (p, ttl, ct) => p.Idempotency.SetAsync("kind", 1, ttl, ct), s => s.Idempotency.Live + s.Idempotency.Expired),
    };

    /// <summary>A fixed window of one permit per <paramref name="window"/>: its state lives until the window ends.</summary>
    private static async ValueTask WriteRateLimitAsync(IPersistenceAdapter p, TimeSpan window, CancellationToken ct)
    {
        using var limiter = PersistentRateLimiter.CreateFixedWindow(p, "kind", new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = 1, Window = window });
        using var lease = await limiter.AcquireAsync(1, ct);
    }

    /// <summary>One kind.</summary>
    /// <param name="Table">Its table, on SQLite and PostgreSQL.</param>
    /// <param name="Expires">Whether its rows expire, so <see cref="IPersistenceAdapter.PruneAsync"/> reclaims them.</param>
    /// <param name="WriteOne">Writes one row (expiring after the TTL where the kind expires).</param>
    /// <param name="Count">Its rows in the admin statistics.</param>
    public sealed record Kind(
        string Table,
        bool Expires,
        Func<IPersistenceAdapter, TimeSpan?, CancellationToken, ValueTask> WriteOne,
        Func<PersistenceStats, int> Count);

    /// <summary>The provider properties of <see cref="IPersistenceAdapter"/>: one per kind.</summary>
    public static IEnumerable<System.Reflection.PropertyInfo> AdapterProviderProperties() =>
        typeof(IPersistenceAdapter).GetProperties().Where(p => p.PropertyType.IsInterface && p.PropertyType.Name.EndsWith("Provider", StringComparison.Ordinal));
}
