using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NativeAotPersistence.Extensions.Tests;

public sealed class HybridCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_second_host_on_the_same_file_gets_an_L2_hit_and_the_factory_does_not_run_again()
    {
        var path = _temp.File("hybrid.db");
        var first = new CountingSerializerFactory();
        var second = new CountingSerializerFactory();
        using var a = Build(path, first);
        using var b = Build(path, second);
        await a.StartAsync(Ct);
        await b.StartAsync(Ct);
        var runs = 0;
        ValueTask<Profile> Load(CancellationToken _)
        {
            runs++;
            return ValueTask.FromResult(new Profile(7, "Grace", ["admin", "ops"]));
        }

        var created = await a.Services.GetRequiredService<HybridCache>().GetOrCreateAsync("user:7", Load, cancellationToken: Ct);
        await WaitForL2WriteAsync(a, "user:7");
        // b's L1 is empty: only the shared L2 (the database file) can answer without running the factory.
        var fromL2 = await b.Services.GetRequiredService<HybridCache>().GetOrCreateAsync("user:7", Load, cancellationToken: Ct);

        Assert.Equal(1, runs);
        Assert.Equal(created.Id, fromL2.Id);
        Assert.Equal(created.Name, fromL2.Name);
        Assert.Equal(created.Roles, fromL2.Roles);
        Assert.Equal(1, first.Serialized);
        Assert.Equal(1, second.Deserialized);

        await a.StopAsync(Ct);
        await b.StopAsync(Ct);
    }

    [Fact]
    public async Task After_an_L1_eviction_the_value_comes_from_L2_without_the_factory()
    {
        using var host = Build(_temp.File("evict.db"), new CountingSerializerFactory());
        using var other = Build(_temp.File("evict.db"), new CountingSerializerFactory());
        await host.StartAsync(Ct);
        await other.StartAsync(Ct);
        var hybrid = host.Services.GetRequiredService<HybridCache>();
        var l2 = host.Services.GetRequiredService<IDistributedCache>();
        var runs = 0;
        ValueTask<Profile> Load(CancellationToken _)
        {
            runs++;
            return ValueTask.FromResult(new Profile(runs, "Run " + runs, []));
        }

        // A tiny local expiry evicts L1; L2 keeps the entry for its own (longer) expiry.
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), LocalCacheExpiration = TimeSpan.FromMilliseconds(50) };
        Assert.Equal(1, (await hybrid.GetOrCreateAsync("k", Load, options, cancellationToken: Ct)).Id);
        await WaitForL2WriteAsync(host, "k");
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);

        // Another host on the file replaces the L2 entry: only a read that went past an evicted L1 can see it.
        await other.Services.GetRequiredService<HybridCache>().SetAsync("k", new Profile(99, "From L2", []), options, cancellationToken: Ct);
        Assert.Equal(99, (await hybrid.GetOrCreateAsync("k", Load, options, cancellationToken: Ct)).Id);
        Assert.Equal(1, runs);

        // Removing through HybridCache removes from L2 too: the next call runs the factory.
        await hybrid.RemoveAsync("k", Ct);
        Assert.Null(await l2.GetAsync("k", Ct));
        Assert.Equal(2, (await hybrid.GetOrCreateAsync("k", Load, options, cancellationToken: Ct)).Id);
        await host.StopAsync(Ct);
        await other.StopAsync(Ct);
    }

    [Fact]
    public void The_serializer_factory_resolves_types_through_the_payload_context_only()
    {
        var factory = new PayloadHybridCacheSerializerFactory(TestPayloads.Default);

        Assert.True(factory.TryCreateSerializer<Profile>(out var serializer));
        Assert.False(factory.TryCreateSerializer<Uri>(out var none));
        Assert.Null(none);

        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(new Profile(3, "Linus", ["dev"]), buffer);
        Assert.Equal("""{"id":3,"name":"Linus","roles":["dev"]}""", System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));

        var single = serializer.Deserialize(new ReadOnlySequence<byte>(buffer.WrittenMemory));
        var split = serializer.Deserialize(Split(buffer.WrittenMemory, 5));
        Assert.Equal(("Linus", "dev"), (single.Name, single.Roles[0]));
        Assert.Equal(("Linus", "dev"), (split.Name, split.Roles[0]));
    }

    [Fact]
    public async Task Without_a_context_the_serializer_uses_the_options_payloads_and_says_when_there_are_none()
    {
        var services = new ServiceCollection();
        services.AddNativeAotPersistence(o =>
        {
            o.Path = "unused.db";
            o.UsePayloads(TestPayloads.Default);
        }).AddNativeAotPersistenceHybridCacheSerializer();
        await using (var provider = services.BuildServiceProvider())
        {
            var factory = Assert.IsType<PayloadHybridCacheSerializerFactory>(provider.GetRequiredService<IHybridCacheSerializerFactory>());
            Assert.Same(TestPayloads.Default, factory.Payloads);
        }

        var bare = new ServiceCollection();
        bare.AddNativeAotPersistence(o => o.Path = "x.db").AddNativeAotPersistenceHybridCacheSerializer();
        await using var broken = bare.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => broken.GetRequiredService<IHybridCacheSerializerFactory>());
        Assert.Contains("o.UsePayloads(...)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddNativeAotPersistenceDistributedCache_replaces_an_earlier_IDistributedCache()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddNativeAotPersistence(o => o.Path = _temp.File("replace.db")).AddNativeAotPersistenceDistributedCache();
        using var provider = services.BuildServiceProvider();

        Assert.IsType<PersistenceDistributedCache>(provider.GetRequiredService<IDistributedCache>());
        Assert.Single(services, d => d.ServiceType == typeof(IDistributedCache));
    }

    private static IHost Build(string path, CountingSerializerFactory counter)
    {
        var builder = TestHosts.Builder(Path.GetDirectoryName(path)!);
        builder.Services.AddNativeAotPersistence(o =>
        {
            o.Path = path;
            o.UsePayloads(TestPayloads.Default);
        });
        builder.Services.AddNativeAotPersistenceDistributedCache();
        builder.Services.AddHybridCache();
        builder.Services.AddNativeAotPersistenceHybridCacheSerializer();
        counter.Inner = new PayloadHybridCacheSerializerFactory(TestPayloads.Default);
        builder.Services.AddSingleton<IHybridCacheSerializerFactory>(counter);
        return builder.Build();
    }

    // HybridCache writes L2 in the background, after GetOrCreateAsync has returned to its callers.
    private static async Task WaitForL2WriteAsync(IHost host, string key)
    {
        var cache = host.Services.GetRequiredService<ICacheProvider>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await cache.HasAsync(key, Ct))
        {
            Assert.True(DateTime.UtcNow < deadline, $"HybridCache did not write '{key}' to L2 within 30 s.");
            await Task.Delay(10, Ct);
        }
    }

    private static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int at)
    {
        var head = new Segment(bytes[..at], 0);
        var tail = head.Append(bytes[at..]);
        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    /// <summary>Counts what HybridCache asks of the payload serializer factory, to prove L2 went through it.</summary>
    private sealed class CountingSerializerFactory : IHybridCacheSerializerFactory
    {
        private int _serialized;
        private int _deserialized;

        public PayloadHybridCacheSerializerFactory? Inner { get; set; }

        public int Serialized => _serialized;

        public int Deserialized => _deserialized;

        public bool TryCreateSerializer<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IHybridCacheSerializer<T>? serializer)
        {
            if (Inner!.TryCreateSerializer<T>(out var inner))
            {
                serializer = new Counting<T>(inner, this);
                return true;
            }

            serializer = null;
            return false;
        }

        private sealed class Counting<T>(IHybridCacheSerializer<T> inner, CountingSerializerFactory owner) : IHybridCacheSerializer<T>
        {
            public T Deserialize(ReadOnlySequence<byte> source)
            {
                Interlocked.Increment(ref owner._deserialized);
                return inner.Deserialize(source);
            }

            public void Serialize(T value, IBufferWriter<byte> target)
            {
                Interlocked.Increment(ref owner._serialized);
                inner.Serialize(value, target);
            }
        }
    }
}
