using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NativeAotPersistence;
using NativeAotPersistence.Extensions.Hosting;
using NativeAotPersistence.Extensions.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers NativeAotPersistence in an <see cref="IServiceCollection"/>.</summary>
public static class NativeAotPersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="IPersistenceAdapter"/> (a <see cref="SqliteAdapter"/> over
    /// <see cref="NativeAotPersistenceOptions.Path"/>, or the one <see cref="NativeAotPersistenceOptions.UseAdapter"/>
    /// supplies) and its providers — <see cref="ICacheProvider"/>, <see cref="ILockProvider"/>,
    /// <see cref="ICircuitBreakerStateProvider"/>, <see cref="ICheckpointProvider"/>, <see cref="IIdempotencyProvider"/>,
    /// <see cref="PersistenceProviders"/> and <see cref="IPersistenceAdmin"/> — as singletons, with a hosted service that connects the adapter when the
    /// host starts and disconnects it when the host has stopped; the service provider disposes it.
    /// </summary>
    /// <remarks>
    /// The options are validated when the host starts (<c>ValidateOnStart</c>), so a missing path or an impossible TTL
    /// fails start-up with a message naming the setting. The adapter's <see cref="TimeProvider"/> is the one registered
    /// in the services, else <see cref="TimeProvider.System"/>. Bind the options from configuration with
    /// <c>services.Configure&lt;NativeAotPersistenceOptions&gt;(configuration.GetSection("Persistence"))</c> and
    /// <c>&lt;EnableConfigurationBindingGenerator&gt;true&lt;/EnableConfigurationBindingGenerator&gt;</c> for reflection-free
    /// binding. Calling this again only adds <paramref name="configure"/>; the registrations stay single.
    /// </remarks>
    /// <param name="services">The services to add to.</param>
    /// <param name="configure">Sets the options; <see langword="null"/> when they come from configuration only.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddNativeAotPersistence(this IServiceCollection services, Action<NativeAotPersistenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<NativeAotPersistenceOptions>().ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NativeAotPersistenceOptions>, NativeAotPersistenceOptionsValidator>());
        services.TryAddSingleton(CreateAdapter);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Cache);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Locks);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().CircuitBreakers);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Checkpoints);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Idempotency);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Semaphores);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().RateLimits);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Providers);
        services.TryAddSingleton(static sp => sp.GetRequiredService<IPersistenceAdapter>().Admin);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PersistenceHostedService>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="PersistenceDistributedCache"/> as the <see cref="IDistributedCache"/> (replacing any other),
    /// over the registered <see cref="ICacheProvider"/>: call <see cref="AddNativeAotPersistence"/> too. With
    /// <c>services.AddHybridCache()</c> it becomes HybridCache's second level.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddNativeAotPersistenceDistributedCache(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.RemoveAll<IDistributedCache>();
        services.AddSingleton<IDistributedCache>(static sp => new PersistenceDistributedCache(sp.GetRequiredService<ICacheProvider>()));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="PayloadHybridCacheSerializerFactory"/> so that HybridCache serializes the types of
    /// <paramref name="payloads"/> with the generated payload serializers instead of System.Text.Json reflection —
    /// what a NativeAOT app needs (see the README's "IDistributedCache and HybridCache").
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="payloads">
    /// The generated serializers; <see langword="null"/> for the ones given to <see cref="NativeAotPersistenceOptions.UsePayloads"/>,
    /// which must then be called.
    /// </param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddNativeAotPersistenceHybridCacheSerializer(this IServiceCollection services, PayloadContext? payloads = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (payloads is not null)
        {
            services.AddSingleton<IHybridCacheSerializerFactory>(new PayloadHybridCacheSerializerFactory(payloads));
        }
        else
        {
            services.AddSingleton<IHybridCacheSerializerFactory>(static sp => new PayloadHybridCacheSerializerFactory(
                sp.GetRequiredService<IOptions<NativeAotPersistenceOptions>>().Value.GetPayloads()
                ?? throw new InvalidOperationException(
                    "AddNativeAotPersistenceHybridCacheSerializer() without a PayloadContext needs the payload serializers: call o.UsePayloads(...) in AddNativeAotPersistence, or pass the context.")));
        }

        return services;
    }

    private static IPersistenceAdapter CreateAdapter(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NativeAotPersistenceOptions>>().Value;
        var adapterOptions = new PersistenceAdapterOptions
        {
            KeyPrefix = options.KeyPrefix,
            DefaultLockTtl = options.DefaultLockTtl,
            CreateTables = options.CreateTables,
            Payloads = options.GetPayloads(),
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            LockScope = options.LockScope,
            BusyTimeout = options.BusyTimeout,
        };

        if (options.AdapterFactory is { } factory)
        {
            return factory(services, adapterOptions)
                   ?? throw new InvalidOperationException("NativeAotPersistence: the UseAdapter(...) factory returned null; it must return an adapter (not connected yet).");
        }

        return SqliteAdapter.Create(options.Path!, adapterOptions, new SqliteOpenOptions
        {
            Durability = options.Durability,
            Exclusive = options.Exclusive,
            ReaderConnections = options.ReaderConnections,
        });
    }
}
