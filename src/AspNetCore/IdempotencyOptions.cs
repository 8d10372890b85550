using Microsoft.AspNetCore.Http;

namespace NativeAotPersistence.AspNetCore;

/// <summary>
/// How <see cref="IdempotencyEndpointExtensions.WithIdempotency{TBuilder}(TBuilder)"/> treats requests that carry an
/// <c>Idempotency-Key</c> header (the IETF HTTP APIs draft "The Idempotency-Key HTTP Header Field").
/// </summary>
public sealed class IdempotencyOptions
{
    /// <summary>The header's name in the IETF draft.</summary>
    public const string DefaultHeaderName = "Idempotency-Key";

    /// <summary>The header a replayed response carries, <c>true</c> (as Stripe's API and others do).</summary>
    public const string ReplayedHeaderName = "Idempotent-Replayed";

    /// <summary>Gets or sets the request header that carries the key. <see cref="DefaultHeaderName"/> by default.</summary>
    public string HeaderName { get; set; } = DefaultHeaderName;

    /// <summary>
    /// Gets or sets whether a request without the header is refused with 400 (the default, <see langword="true"/>), or runs
    /// as if the route were not idempotent.
    /// </summary>
    public bool RequireKey { get; set; } = true;

    /// <summary>Gets or sets how long a stored response is replayed; 24 hours by default.</summary>
    public TimeSpan Expiration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets or sets the TTL of the lease the first request holds while its handler runs (renewed until it ends); a request
    /// whose instance dies mid-handler frees its key after this, or at once for a retry on the same host. 30 seconds by default.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the <c>Retry-After</c> a 409 (the first request still running) carries. 1 second by default.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest key, in characters (the key is printable ASCII). 255 by default, at most 1024.</summary>
    public int MaxKeyLength { get; set; } = 255;

    /// <summary>
    /// Gets or sets the largest request body that is hashed into the request's fingerprint; a larger one is refused with
    /// 413. 1 MiB by default.
    /// </summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets or sets the largest response body that is stored for replay. A response up to this size is held back and sent
    /// once it is stored (a client that has it can count on its retries being replays); a larger one streams out past the
    /// limit and is not stored (a retry runs the handler again). 1 MiB by default.
    /// </summary>
    public int MaxResponseBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets the request headers hashed into the fingerprint beside the method, path, query and body (for example
    /// <c>Content-Type</c>); none by default. Header names compare case-insensitively.
    /// </summary>
    public IList<string> FingerprintHeaders { get; } = [];

    /// <summary>
    /// Gets the response headers stored and replayed with the status and body. <c>Content-Type</c>, <c>Location</c> and
    /// <c>ETag</c> by default; add what your handlers set that a retry must see. <c>Set-Cookie</c>, the hop-by-hop headers,
    /// <c>Content-Length</c> and <c>Date</c> are refused.
    /// </summary>
    public IList<string> ReplayedHeaders { get; } = ["Content-Type", "Location", "ETag"];

    /// <summary>
    /// Gets or sets the scope of keys: requests in different scopes (API keys, tenants, authenticated users) never share a
    /// key. Set it to the caller's identity: with <see langword="null"/> (the default) every client shares one key space,
    /// so a client that reuses another's key and body gets the other's response. A selector that returns
    /// <see langword="null"/> or <c>""</c> puts the request in that one shared scope. The scope is stored only as its
    /// SHA-256 (an API key never appears in the store or its listings).
    /// </summary>
    public Func<HttpContext, string?>? Scope { get; set; }

    private static readonly HashSet<string> s_neverReplayed = new(
        ["Set-Cookie", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Trailer", "Content-Length", "Date", IdempotencyOptions.ReplayedHeaderName],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>A copy, so that endpoints keep the options they were given (and validated) whatever the caller does with them later.</summary>
    internal IdempotencyOptions Snapshot()
    {
        var copy = new IdempotencyOptions
        {
            HeaderName = HeaderName,
            RequireKey = RequireKey,
            Expiration = Expiration,
            LeaseTtl = LeaseTtl,
            RetryAfter = RetryAfter,
            MaxKeyLength = MaxKeyLength,
            MaxRequestBodyBytes = MaxRequestBodyBytes,
            MaxResponseBodyBytes = MaxResponseBodyBytes,
            Scope = Scope,
        };
        copy.ReplayedHeaders.Clear();
        foreach (var name in ReplayedHeaders)
        {
            copy.ReplayedHeaders.Add(name);
        }

        foreach (var name in FingerprintHeaders)
        {
            copy.FingerprintHeaders.Add(name);
        }

        return copy;
    }

    /// <summary>Throws when an option is out of range (the registration validates at start, <c>WithIdempotency(options)</c> when called).</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(HeaderName))
        {
            throw new ArgumentException("IdempotencyOptions.HeaderName must name a header.", nameof(HeaderName));
        }

        foreach (var c in HeaderName)
        {
            if (c <= 0x20 || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal))
            {
                throw new ArgumentException($"IdempotencyOptions.HeaderName '{HeaderName}' is not a header name (an RFC 9110 token).", nameof(HeaderName));
            }
        }

        Positive(Expiration, nameof(Expiration));
        Positive(LeaseTtl, nameof(LeaseTtl));
        if (LeaseTtl < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentException("IdempotencyOptions.LeaseTtl must be at least 100 ms (it is renewed a third of the way through).", nameof(LeaseTtl));
        }

        foreach (var name in FingerprintHeaders)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("IdempotencyOptions.FingerprintHeaders holds an empty name.", nameof(FingerprintHeaders));
            }
        }

        foreach (var name in ReplayedHeaders)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("IdempotencyOptions.ReplayedHeaders holds an empty name.", nameof(ReplayedHeaders));
            }

            if (s_neverReplayed.Contains(name))
            {
                throw new ArgumentException(
                    $"IdempotencyOptions.ReplayedHeaders must not hold '{name}': it belongs to one connection or one client (Set-Cookie would hand one client's cookies to whoever replays), or is computed for each response.",
                    nameof(ReplayedHeaders));
            }
        }
        if (RetryAfter < TimeSpan.Zero)
        {
            throw new ArgumentException("IdempotencyOptions.RetryAfter must not be negative.", nameof(RetryAfter));
        }

        if (MaxKeyLength is < 1 or > 1024)
        {
            throw new ArgumentException("IdempotencyOptions.MaxKeyLength must be between 1 and 1024.", nameof(MaxKeyLength));
        }

        if (MaxRequestBodyBytes < 0 || MaxResponseBodyBytes < 0)
        {
            throw new ArgumentException("IdempotencyOptions.MaxRequestBodyBytes and MaxResponseBodyBytes must not be negative.");
        }

        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan || value > TimeSpan.FromDays(30))
            {
                throw new ArgumentException($"IdempotencyOptions.{name} must be positive and at most 30 days.", name);
            }
        }
    }
}
