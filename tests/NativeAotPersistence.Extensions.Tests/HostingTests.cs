using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Extensions.Tests;

public sealed class HostingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Registers_the_adapter_and_its_providers_as_singletons_connected_by_start_and_disconnected_by_stop()
    {
        using var host = TestHosts.Build(_temp.Path, s => s.AddNativeAotPersistence(o =>
        {
            o.Path = _temp.File("app.db");
            o.KeyPrefix = "app:";
        }));
        var adapter = host.Services.GetRequiredService<IPersistenceAdapter>();
        Assert.IsType<SqliteAdapter>(adapter);
        Assert.Same(adapter.Cache, host.Services.GetRequiredService<ICacheProvider>());
        Assert.Same(adapter.Locks, host.Services.GetRequiredService<ILockProvider>());
        Assert.Same(adapter.CircuitBreakers, host.Services.GetRequiredService<ICircuitBreakerStateProvider>());
        Assert.Same(adapter.Checkpoints, host.Services.GetRequiredService<ICheckpointProvider>());
        Assert.Same(adapter.Idempotency, host.Services.GetRequiredService<IIdempotencyProvider>());
        var providers = host.Services.GetRequiredService<PersistenceProviders>();
        Assert.Same(providers, host.Services.GetRequiredService<PersistenceProviders>());
        Assert.Same(adapter.Cache, providers.Cache);
        Assert.Same(adapter.Locks, providers.Lock);
        Assert.Same(adapter, host.Services.GetRequiredService<IPersistenceAdapter>());
        Assert.False(adapter.IsConnected);

        await host.StartAsync(Ct);
        Assert.True(adapter.IsConnected);
        var cache = host.Services.GetRequiredService<ICacheProvider>();
        await cache.SetAsync("greeting", "hello", cancellationToken: Ct);
        Assert.Equal("hello", await cache.GetAsync<string>("greeting", Ct));
        Assert.Equal(["greeting"], await cache.KeysAsync(cancellationToken: Ct));
        await using (var handle = await host.Services.GetRequiredService<ILockProvider>().AcquireAsync("job", TimeSpan.FromSeconds(5), cancellationToken: Ct))
        {
            Assert.NotNull(handle);
        }

        Assert.Equal("app:", ((SqliteAdapter)adapter).Options.KeyPrefix);

        await host.StopAsync(Ct);
        Assert.False(adapter.IsConnected);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.GetAsync<string>("greeting", Ct));
    }

    [Fact]
    public void Registers_every_kind_of_the_adapter_interface_and_the_admin_API()
    {
        // Enumerated, not listed: a kind added to IPersistenceAdapter without a registration fails here.
        using var host = TestHosts.Build(_temp.Path, s => s.AddNativeAotPersistence(o => o.Path = _temp.File("kinds.db")));
        var adapter = host.Services.GetRequiredService<IPersistenceAdapter>();
        var kinds = typeof(IPersistenceAdapter).GetProperties()
            .Where(p => p.PropertyType.IsInterface && p.PropertyType != typeof(IAsyncDisposable))
            .ToList();
        Assert.Contains(kinds, p => p.PropertyType == typeof(IPersistenceAdmin));
        Assert.All(kinds, p => Assert.Same(p.GetValue(adapter), host.Services.GetService(p.PropertyType)));
    }

    [Fact]
    public async Task Hosted_services_registered_before_it_find_the_providers_connected_at_start_and_stop()
    {
        var probe = new ProbeService();
        using var host = TestHosts.Build(_temp.Path, s =>
        {
            s.AddSingleton(probe);
            s.AddHostedService(sp => sp.GetRequiredService<ProbeService>());
            s.AddNativeAotPersistence(o => o.Path = _temp.File("order.db"));
        });
        probe.Cache = host.Services.GetRequiredService<ICacheProvider>();

        await host.StartAsync(Ct);
        await host.StopAsync(Ct);

        Assert.Equal("started", probe.ReadAtStop);
    }

    [Fact]
    public async Task The_container_disposes_the_adapter()
    {
        var host = TestHosts.Build(_temp.Path, s => s.AddNativeAotPersistence(o => o.Path = _temp.File("dispose.db")));
        var adapter = host.Services.GetRequiredService<IPersistenceAdapter>();
        await host.StartAsync(Ct);
        Assert.True(adapter.IsConnected);

        // Disposed without StopAsync: the container still closes the file.
        await ((IAsyncDisposable)host).DisposeAsync();
        Assert.False(adapter.IsConnected);
    }

    [Fact]
    public async Task The_TimeProvider_registered_in_the_services_decides_expiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = TestHosts.Build(_temp.Path, s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddNativeAotPersistence(o => o.Path = _temp.File("time.db"));
        });
        await host.StartAsync(Ct);
        var cache = host.Services.GetRequiredService<ICacheProvider>();

        await cache.SetAsync("k", 1, TimeSpan.FromMinutes(1), Ct);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, await cache.GetAsync<int>("k", Ct));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await cache.TryGetAsync<int>("k", Ct)).Found);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task UseAdapter_supplies_another_adapter_with_the_options_built_from_the_settings()
    {
        var time = new FakeTimeProvider();
        PersistenceAdapterOptions? seen = null;
        using var host = TestHosts.Build(_temp.Path, s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddNativeAotPersistence(o =>
            {
                o.KeyPrefix = "mem:";
                o.LockScope = LockScope.Database;
                o.DefaultLockTtl = TimeSpan.FromSeconds(7);
                o.UsePayloads(TestPayloads.Default);
                o.UseAdapter((_, options) => new InMemoryPersistence(seen = options));
            });
        });
        var adapter = host.Services.GetRequiredService<IPersistenceAdapter>();
        Assert.IsType<InMemoryPersistence>(adapter);
        Assert.NotNull(seen);
        Assert.Equal("mem:", seen.KeyPrefix);
        Assert.Equal(LockScope.Database, seen.LockScope);
        Assert.Equal(TimeSpan.FromSeconds(7), seen.DefaultLockTtl);
        Assert.Same(TestPayloads.Default, seen.Payloads);
        Assert.Same(time, seen.TimeProvider);

        await host.StartAsync(Ct);
        await adapter.Cache.SetAsync("p", new Profile(1, "Ada", ["admin"]), cancellationToken: Ct);
        Assert.Equal("Ada", (await adapter.Cache.GetAsync<Profile>("p", Ct))!.Name);
        Assert.Equal(TimeSpan.FromSeconds(7), host.Services.GetRequiredService<ILockProvider>().DefaultTtl);
        await host.StopAsync(Ct);
        Assert.False(adapter.IsConnected);
    }

    [Fact]
    public async Task PostgreSQL_plugs_in_through_UseAdapter_with_the_same_lifecycle()
    {
        var connectionString = await global::NativeAotPersistence.Tests.PostgreSql.PostgresServer.CreateSchemaAsync();
        using var host = TestHosts.Build(_temp.Path, s => s
            .AddNativeAotPersistence(o =>
            {
                o.KeyPrefix = "pg:";
                o.UseAdapter((_, options) => PostgresAdapter.Create(connectionString, options));
            })
            .AddNativeAotPersistenceDistributedCache());
        var adapter = Assert.IsType<PostgresAdapter>(host.Services.GetRequiredService<IPersistenceAdapter>());
        Assert.Equal("pg:", adapter.Options.KeyPrefix);
        Assert.False(adapter.IsConnected);

        await host.StartAsync(Ct);
        var cache = host.Services.GetRequiredService<Microsoft.Extensions.Caching.Distributed.IDistributedCache>();
        await cache.SetAsync("k", [1, 2], new(), Ct);
        Assert.Equal<byte[]?>([1, 2], await cache.GetAsync("k", Ct));
        await host.StopAsync(Ct);

        Assert.False(adapter.IsConnected);
    }

    [Fact]
    public async Task A_UseAdapter_factory_that_returns_null_is_named_in_the_error()
    {
        using var host = TestHosts.Build(_temp.Path, s => s.AddNativeAotPersistence(o => o.UseAdapter((_, _) => null!)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(Ct));

        Assert.Contains("UseAdapter(...) factory returned null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_fails_with_a_clear_message_when_the_path_is_missing()
    {
        using var host = TestHosts.Build(_temp.Path, s => s.AddNativeAotPersistence());

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("NativeAotPersistence: Path is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_fails_with_every_invalid_setting_named()
    {
        using var host = TestHosts.Build(_temp.Path, s => s.AddNativeAotPersistence(o =>
        {
            o.Path = _temp.File("bad.db");
            o.DefaultLockTtl = TimeSpan.Zero;
            o.BusyTimeout = TimeSpan.FromSeconds(-2);
            o.ReaderConnections = -1;
            o.KeyPrefix = "\ud800";
            o.LockScope = (LockScope)42;
        }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Equal(5, error.Failures.Count());
        foreach (var name in new[] { "DefaultLockTtl must be finite, positive and at most 30 days", "BusyTimeout must be", "ReaderConnections must be zero or more", "KeyPrefix contains a lone surrogate", "LockScope '42'" })
        {
            Assert.Contains(error.Failures, f => f.Contains(name, StringComparison.Ordinal));
        }

        Assert.False(File.Exists(_temp.File("bad.db")));
    }

    [Fact]
    public void Registering_twice_keeps_one_adapter_one_hosted_service_and_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddNativeAotPersistence(o => o.Path = "a.db");
        services.AddNativeAotPersistence(o => o.KeyPrefix = "x:");

        Assert.Single(services, d => d.ServiceType == typeof(IPersistenceAdapter));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<NativeAotPersistenceOptions>>().Value;
        Assert.Equal(("a.db", "x:"), (options.Path, options.KeyPrefix));
    }

    [Fact]
    public async Task Options_bind_from_configuration_through_the_binder_source_generator()
    {
        var builder = TestHosts.Builder(_temp.Path);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Persistence:Path"] = _temp.File("configured.db"),
            ["Persistence:KeyPrefix"] = "cfg:",
            ["Persistence:LockScope"] = "Process",
            ["Persistence:DefaultLockTtl"] = "00:00:12",
            ["Persistence:BusyTimeout"] = "00:00:01.500",
            ["Persistence:CreateTables"] = "true",
            ["Persistence:Durability"] = "Full",
            ["Persistence:Exclusive"] = "false",
            ["Persistence:ReaderConnections"] = "0",
        });
        builder.Services.Configure<NativeAotPersistenceOptions>(builder.Configuration.GetSection("Persistence"));
        builder.Services.AddNativeAotPersistence(o => o.UsePayloads(TestPayloads.Default));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<NativeAotPersistenceOptions>>().Value;
        Assert.Equal(_temp.File("configured.db"), options.Path);
        Assert.Equal("cfg:", options.KeyPrefix);
        Assert.Equal(LockScope.Process, options.LockScope);
        Assert.Equal(TimeSpan.FromSeconds(12), options.DefaultLockTtl);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.BusyTimeout);
        Assert.Equal(SqliteDurability.Full, options.Durability);
        Assert.Equal(0, options.ReaderConnections);
        Assert.Same(TestPayloads.Default, options.GetPayloads());

        // The binder's generator, not reflection, did it: its generated code is in this assembly.
        Assert.Contains(typeof(HostingTests).Assembly.GetTypes(), t => t.Namespace == "Microsoft.Extensions.Configuration.Binder.SourceGeneration");

        await host.StartAsync(Ct);
        var adapter = (SqliteAdapter)host.Services.GetRequiredService<IPersistenceAdapter>();
        Assert.Equal("cfg:", adapter.Options.KeyPrefix);
        Assert.Equal(LockScope.Process, adapter.Options.LockScope);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task LockScope_defaults_to_Database_when_configuration_does_not_name_it()
    {
        var builder = TestHosts.Builder(_temp.Path);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Persistence:Path"] = _temp.File("default.db") });
        builder.Services.Configure<NativeAotPersistenceOptions>(builder.Configuration.GetSection("Persistence"));
        builder.Services.AddNativeAotPersistence();
        using var host = builder.Build();

        Assert.Equal(LockScope.Database, host.Services.GetRequiredService<IOptions<NativeAotPersistenceOptions>>().Value.LockScope);
        await host.StartAsync(Ct);
        var adapter = (SqliteAdapter)host.Services.GetRequiredService<IPersistenceAdapter>();
        Assert.Equal(LockScope.Database, adapter.Options.LockScope);

        // Shared: a second adapter on the same file (another process, as far as the lock is concerned) is excluded.
        await using var other = await SqliteAdapter.OpenAsync(_temp.File("default.db"));
        await using var held = await adapter.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), cancellationToken: Ct);
        Assert.NotNull(held);
        Assert.Null(await other.Locks.AcquireAsync("job", TimeSpan.FromMinutes(1), cancellationToken: Ct));
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Configuration_errors_fail_start_too()
    {
        var builder = TestHosts.Builder(_temp.Path);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Persistence:ReaderConnections"] = "-3" });
        builder.Services.Configure<NativeAotPersistenceOptions>(builder.Configuration.GetSection("Persistence"));
        builder.Services.AddNativeAotPersistence();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains(error.Failures, f => f.StartsWith("NativeAotPersistence: Path is required", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ReaderConnections must be zero or more; it is -3", StringComparison.Ordinal));
    }

    private sealed class ProbeService : IHostedService
    {
        public ICacheProvider? Cache { get; set; }

        public string? ReadAtStop { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken) =>
            await Cache!.SetAsync("probe", "started", cancellationToken: cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken) =>
            ReadAtStop = await Cache!.GetAsync<string>("probe", cancellationToken);
    }
}
