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

    /// <summary>Gets or sets the longest key, in characters (the key is printable ASCII). 255 by default.</summary>
    public int MaxKeyLength { get; set; } = 255;

    /// <summary>
    /// Gets or sets the largest request body that is hashed into the request's fingerprint; a larger one is refused with
    /// 413. 1 MiB by default.
    /// </summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets or sets the largest response body that is stored for replay; a larger response is sent but not stored (a retry
    /// runs the handler again). 1 MiB by default.
    /// </summary>
    public int MaxResponseBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets the request headers hashed into the fingerprint beside the method, path, query and body (for example
    /// <c>Content-Type</c>); none by default. Header names compare case-insensitively.
    /// </summary>
    public IList<string> FingerprintHeaders { get; } = [];

    /// <summary>
    /// Gets the response headers stored and replayed with the status and body. <c>Content-Type</c>, <c>Location</c> and
    /// <c>ETag</c> by default; add what your handlers set that a retry must see.
    /// </summary>
    public IList<string> ReplayedHeaders { get; } = ["Content-Type", "Location", "ETag"];

    /// <summary>
    /// Gets or sets the scope of keys: requests in different scopes (API keys, tenants) never share a key. <see langword="null"/>
    /// (the default) is one scope for all; a selector that returns <see langword="null"/> or <c>""</c> puts the request in that one scope.
    /// </summary>
    public Func<HttpContext, string?>? Scope { get; set; }

    /// <summary>Throws when an option is out of range (the registration validates at start, <c>WithIdempotency(options)</c> when called).</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(HeaderName))
        {
            throw new ArgumentException("IdempotencyOptions.HeaderName must name a header.", nameof(HeaderName));
        }

        Positive(Expiration, nameof(Expiration));
        Positive(LeaseTtl, nameof(LeaseTtl));
        if (RetryAfter < TimeSpan.Zero)
        {
            throw new ArgumentException("IdempotencyOptions.RetryAfter must not be negative.", nameof(RetryAfter));
        }

        if (MaxKeyLength is < 1 or > 4096)
        {
            throw new ArgumentException("IdempotencyOptions.MaxKeyLength must be between 1 and 4096.", nameof(MaxKeyLength));
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
