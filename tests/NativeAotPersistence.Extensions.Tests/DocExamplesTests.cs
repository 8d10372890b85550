using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NativeAotPersistence.Extensions.Tests;

public sealed record Product(int Id, string Name);

/// <summary>The payload types of docs/ecosystem.md's examples.</summary>
[Payload(typeof(Product))]
public partial class AppPayloads : PayloadContext
{
}

/// <summary>
/// docs/ecosystem.md's examples, compiled and run: each <c>// snippet: Name</c> region is word for word the block of
/// that name on the page (the core tests' DocSnippetTests checks it).
/// </summary>
public sealed class DocExamplesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Hosting()
    {
        // The path comes from the configuration (here the command line), as from appsettings.json's "Persistence" section.
        string[] args = ["--Persistence:Path=" + _temp.File("app.db"), "--Persistence:LockScope=Database"];

        // snippet: Hosting
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.Configure<NativeAotPersistenceOptions>(builder.Configuration.GetSection("Persistence")); // optional
        builder.Services.AddNativeAotPersistence(o =>
        {
            o.Path ??= "app.db";                  // or ":memory:"
            o.KeyPrefix = "myapp:";
            o.UsePayloads(AppPayloads.Default);   // code only: a method, so configuration binders skip it
        });
        // PostgreSQL instead of SQLite (this package does not depend on Npgsql):
        // o.UseAdapter((services, options) => PostgresAdapter.Create(connectionString, options));
        // end snippet

        using var host = builder.Build();
        await host.StartAsync(Ct);
        var cache = host.Services.GetRequiredService<ICacheProvider>();
        await cache.SetAsync("product:1", new Product(1, "book"), cancellationToken: Ct);
        Assert.Equal(new Product(1, "book"), await cache.GetAsync<Product>("product:1", Ct));
        Assert.True(File.Exists(_temp.File("app.db")));
        await host.StopAsync(Ct);
    }

    [Fact]
    public void HybridCacheRegistration()
    {
        var builder = Host.CreateApplicationBuilder([]);

        // snippet: HybridCacheRegistration
        builder.Services.AddNativeAotPersistence(o => { o.Path = "app.db"; o.UsePayloads(AppPayloads.Default); });
        builder.Services.AddNativeAotPersistenceDistributedCache();       // IDistributedCache over ICacheProvider
        builder.Services.AddHybridCache();                                // Microsoft.Extensions.Caching.Hybrid: L1 in memory, L2 = ours
        builder.Services.AddNativeAotPersistenceHybridCacheSerializer();  // HybridCache serializes T with AppPayloads
        // end snippet

        // Registered, not started: nothing is opened until the host starts.
        using var host = builder.Build();
        Assert.IsType<PersistenceDistributedCache>(host.Services.GetRequiredService<IDistributedCache>());
        Assert.NotNull(host.Services.GetRequiredService<HybridCache>());
    }

    [Fact]
    public async Task HybridCacheUse()
    {
        var builder = Host.CreateApplicationBuilder([]);
        builder.Services.AddNativeAotPersistence(o => { o.Path = _temp.File("hybrid.db"); o.UsePayloads(AppPayloads.Default); });
        builder.Services.AddNativeAotPersistenceDistributedCache();
        builder.Services.AddHybridCache();
        builder.Services.AddNativeAotPersistenceHybridCacheSerializer();
        using var host = builder.Build();
        await host.StartAsync(Ct);
        var hybridCache = host.Services.GetRequiredService<HybridCache>();
        var catalog = new Catalog();
        var id = 7;

        // snippet: HybridCacheUse
        var product = await hybridCache.GetOrCreateAsync($"product:{id}", async ct => await catalog.LoadAsync(id, ct));
        // end snippet

        Assert.Equal(new Product(7, "product 7"), product);
        Assert.Equal(new Product(7, "product 7"), await hybridCache.GetOrCreateAsync($"product:{id}", async ct => await catalog.LoadAsync(id, ct), cancellationToken: Ct));
        Assert.Equal(1, catalog.Loads);
        await host.StopAsync(Ct);
    }

    private sealed class Catalog
    {
        public int Loads { get; private set; }

        public async ValueTask<Product> LoadAsync(int id, CancellationToken ct)
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            Loads++;
            return new Product(id, $"product {id}");
        }
    }
}
