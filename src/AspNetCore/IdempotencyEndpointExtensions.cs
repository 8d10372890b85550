using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NativeAotPersistence.AspNetCore.Internal;

namespace NativeAotPersistence.AspNetCore;

/// <summary>
/// <c>.WithIdempotency()</c> on a minimal-API route or group: requests with an <c>Idempotency-Key</c> header run once per
/// key across every instance on the store, and retries get the first response replayed.
/// </summary>
/// <remarks>
/// <para>
/// It wraps the endpoint's whole request delegate, not only its handler (an <c>IEndpointFilter</c> runs after the body
/// was bound and before the result is written, so it sees neither the raw request nor the bytes sent): the key is read
/// and the request fingerprinted (method, path, query, <see cref="IdempotencyOptions.FingerprintHeaders"/>, body) before
/// binding; the first request with a key runs under a lease of the store (a lock, renewed while it runs); its status,
/// <see cref="IdempotencyOptions.ReplayedHeaders"/> and body are stored with the fingerprint for
/// <see cref="IdempotencyOptions.Expiration"/>.
/// </para>
/// <para>
/// GET, HEAD, OPTIONS and TRACE requests pass through (they are idempotent already). A retry with the same key and
/// fingerprint gets that response byte for byte (with <c>Idempotent-Replayed: true</c>);
/// the same key with another fingerprint gets 422; a retry while the first still runs gets 409 with <c>Retry-After</c>; a
/// request without the key gets 400 (unless <see cref="IdempotencyOptions.RequireKey"/> is off). A response with status
/// 5xx, 409 or 429, one the handler failed with (an exception), or one larger than
/// <see cref="IdempotencyOptions.MaxResponseBodyBytes"/> is not stored: a retry runs the handler again. Keys are scoped
/// by <see cref="IdempotencyOptions.Scope"/>. Errors are RFC 9457 problem details.
/// </para>
/// <para>
/// The store is the <see cref="IPersistenceAdapter"/> of the application's services (for example from
/// <c>AddNativeAotPersistence</c>); with many instances, a PostgreSQL adapter with <see cref="LockScope.Database"/> (the
/// default) makes the lease and the records shared by all of them.
/// </para>
/// </remarks>
public static class IdempotencyEndpointExtensions
{
    /// <summary>Makes the endpoints idempotent by <c>Idempotency-Key</c>, with the options registered by <see cref="IdempotencyServiceCollectionExtensions.AddIdempotency"/> (or the defaults).</summary>
    /// <typeparam name="TBuilder">The route, group or other endpoint convention builder.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static TBuilder WithIdempotency<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint =>
        {
            var inner = endpoint.RequestDelegate ?? throw new InvalidOperationException($"The endpoint '{endpoint.DisplayName}' has no request delegate to make idempotent.");
            var services = endpoint.ApplicationServices;
            IdempotencyOptions? options = null;
            endpoint.RequestDelegate = http =>
                IdempotencyHandler.InvokeAsync(http, inner, options ??= services.GetService<IOptions<IdempotencyOptions>>()?.Value ?? Defaults);
        });
        return builder;
    }

    /// <summary>Makes the endpoints idempotent by <c>Idempotency-Key</c>, with these options (validated now).</summary>
    /// <typeparam name="TBuilder">The route, group or other endpoint convention builder.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="options">The options of these endpoints.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static TBuilder WithIdempotency<TBuilder>(this TBuilder builder, IdempotencyOptions options)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options = options.Snapshot();
        builder.Add(endpoint =>
        {
            var inner = endpoint.RequestDelegate ?? throw new InvalidOperationException($"The endpoint '{endpoint.DisplayName}' has no request delegate to make idempotent.");
            endpoint.RequestDelegate = http => IdempotencyHandler.InvokeAsync(http, inner, options);
        });
        return builder;
    }

    private static readonly IdempotencyOptions Defaults = new();
}

/// <summary>Registers the Idempotency-Key options, validated when the application starts.</summary>
public static class IdempotencyServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IdempotencyOptions"/> for <c>WithIdempotency()</c>, validated when the host starts.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddIdempotency(this IServiceCollection services, Action<IdempotencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<IdempotencyOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdempotencyOptions>, Validator>());
        builder.ValidateOnStart();
        return services;
    }

    /// <summary>Turns <see cref="IdempotencyOptions.Validate"/>'s error into an <see cref="OptionsValidationException"/> at start.</summary>
    private sealed class Validator : IValidateOptions<IdempotencyOptions>
    {
        public ValidateOptionsResult Validate(string? name, IdempotencyOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
