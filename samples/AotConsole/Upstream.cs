namespace AotConsole;

/// <summary>The simulated upstream rejected a request (like an HTTP 503): nothing was applied.</summary>
internal sealed class UpstreamUnavailableException : Exception
{
    public UpstreamUnavailableException()
    {
    }

    public UpstreamUnavailableException(string message)
        : base(message)
    {
    }

    public UpstreamUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The simulated upstream's own storage failed (its file is not a database, is read-only, its server is gone, ...).</summary>
internal sealed class UpstreamStoreException : Exception
{
    public UpstreamStoreException()
    {
    }

    public UpstreamStoreException(string message)
        : base(message)
    {
    }

    public UpstreamStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>One batch's aggregate (the effect the upstream applies once) and how its calibrations were looked up.</summary>
/// <remarks>A class, not a struct: async methods returning a struct each get their own native code under NativeAOT.</remarks>
internal sealed record BatchAggregate(int Records, long SumMilli, long MinMilli, long MaxMilli, int Lookups, int Misses);

/// <summary>What the upstream holds for one job.</summary>
internal readonly record struct UpstreamTotals(int Batches, long Records, long SumMilli, int IgnoredRepeats);

/// <summary>
/// A stand-in for a remote ingest API with its own storage (never the tool's store): like real ingest and payment APIs it
/// takes the batch id as an idempotency key, applies each batch's effect once, and counts the repeats it had to ignore.
/// </summary>
/// <remarks>
/// The one place the sample uses SQL directly: it is someone else's server, not the library's store. Two
/// implementations: <see cref="SqliteUpstream"/> (a file next to the tool's SQLite file) and <c>PostgresUpstream</c>
/// (tables in the PostgreSQL database, shared by every machine).
/// </remarks>
internal interface IUpstream : IDisposable
{
    /// <summary>
    /// Applies a batch once per idempotency key, in one transaction: a new key adds the batch and its effect on the
    /// job's totals; a key seen before changes nothing but the count of ignored repeats.
    /// </summary>
    ValueTask<BatchReceipt> DeliverAsync(string batchId, string job, int batch, BatchAggregate aggregate, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The upstream's totals for a job (zeros for a job it never saw).</summary>
    ValueTask<UpstreamTotals> TotalsAsync(string job, CancellationToken cancellationToken);
}
