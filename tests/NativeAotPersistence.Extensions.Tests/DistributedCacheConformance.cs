using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;

namespace NativeAotPersistence.Extensions.Tests;

/// <summary>
/// What every <see cref="IDistributedCache"/> must do, run on each backend: get/set/refresh/remove, absolute and
/// sliding expiry on a fake clock, the synchronous members, and argument errors.
/// </summary>
public abstract class DistributedCacheConformance : IAsyncLifetime
{
    private IPersistenceAdapter? _adapter;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected IDistributedCache Cache { get; private set; } = null!;

    protected IPersistenceAdapter Adapter => _adapter!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _adapter = await CreateConnectedAsync(new PersistenceAdapterOptions { KeyPrefix = "dc:", TimeProvider = Time, BusyTimeout = TimeSpan.FromSeconds(30) });
        Cache = new PersistenceDistributedCache(_adapter.Cache);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_adapter is not null)
        {
            await _adapter.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options);

    [Fact]
    public async Task Get_of_a_missing_key_is_null()
    {
        Assert.Null(await Cache.GetAsync("missing", Ct));
        Assert.Null(Cache.Get("missing"));
    }

    [Fact]
    public async Task Set_then_get_returns_the_same_bytes()
    {
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await Cache.SetAsync("all", all, new DistributedCacheEntryOptions(), Ct);
        await Cache.SetAsync("empty", [], new DistributedCacheEntryOptions(), Ct);

        Assert.Equal<byte[]?>(all, await Cache.GetAsync("all", Ct));
        Assert.Equal<byte[]?>([], await Cache.GetAsync("empty", Ct));
    }

    [Fact]
    public async Task AsABufferCache_ReadsIntoTheCallersBuffer_AndWritesSequences()
    {
        var buffer = Assert.IsAssignableFrom<IBufferDistributedCache>(Cache);
        var all = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();

        // One segment, several segments, and an empty sequence, each read back by both interfaces.
        await buffer.SetAsync("one", new System.Buffers.ReadOnlySequence<byte>(all), new DistributedCacheEntryOptions(), Ct);
        buffer.Set("many", Segments(all, 7), new DistributedCacheEntryOptions());
        await buffer.SetAsync("none", System.Buffers.ReadOnlySequence<byte>.Empty, new DistributedCacheEntryOptions(), Ct);
        Assert.Equal<byte[]?>(all, await Cache.GetAsync("one", Ct));
        Assert.Equal<byte[]?>(all, await Cache.GetAsync("many", Ct));
        Assert.Equal<byte[]?>([], await Cache.GetAsync("none", Ct));

        // A read appends to what the buffer holds; a miss writes nothing.
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        System.Buffers.BuffersExtensions.Write<byte>(writer, [9, 9]);
        Assert.True(await buffer.TryGetAsync("many", writer, Ct));
        Assert.Equal([9, 9, .. all], writer.WrittenSpan.ToArray());
        Assert.False(await buffer.TryGetAsync("missing", writer, Ct));
        Assert.False(buffer.TryGet("missing", writer));
        Assert.Equal(1002, writer.WrittenCount);
        var again = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(buffer.TryGet("none", again));
        Assert.Equal(0, again.WrittenCount);

        // Expiry and sliding renewal hold for buffer reads as for Get.
        await Cache.SetAsync("slide", [1, 2, 3], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) }, Ct);
        for (var i = 0; i < 3; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(8));
            Assert.True(await buffer.TryGetAsync("slide", new System.Buffers.ArrayBufferWriter<byte>(), Ct));
        }

        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await buffer.TryGetAsync("slide", writer, Ct));

        // A value that is not a byte array fails as Get does, and writes nothing.
        await Adapter.Cache.SetAsync("number", 42, cancellationToken: Ct);
        await Assert.ThrowsAsync<PayloadFormatException>(async () => await buffer.TryGetAsync("number", writer, Ct));
        Assert.Equal(1002, writer.WrittenCount);
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await buffer.TryGetAsync("one", null!, Ct));
    }

    private static System.Buffers.ReadOnlySequence<byte> Segments(byte[] bytes, int count)
    {
        var size = (bytes.Length + count - 1) / count;
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var next = new Segment(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
            if (last is null)
            {
                first = next;
            }
            else
            {
                last.Append(next);
            }

            last = next;
        }

        return new System.Buffers.ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Append(Segment next) => Next = next;
    }

    [Fact]
    public async Task Set_overwrites_and_entries_live_under_the_adapter_prefix_as_base64_json()
    {
        await Cache.SetAsync("k", [1, 2, 3], new DistributedCacheEntryOptions(), Ct);
        await Cache.SetAsync("k", [4], new DistributedCacheEntryOptions(), Ct);

        Assert.Equal<byte[]?>([4], await Cache.GetAsync("k", Ct));
        Assert.Equal(["k"], await Adapter.Cache.KeysAsync(cancellationToken: Ct));
        Assert.Equal<byte[]?>([4], await Adapter.Cache.GetAsync<byte[]>("k", Ct));
    }

    [Fact]
    public async Task Remove_deletes_and_removing_or_refreshing_a_missing_key_is_not_an_error()
    {
        await Cache.SetAsync("k", [1], new DistributedCacheEntryOptions(), Ct);
        await Cache.RemoveAsync("k", Ct);
        Assert.Null(await Cache.GetAsync("k", Ct));

        await Cache.RemoveAsync("k", Ct);
        await Cache.RefreshAsync("k", Ct);
        Cache.Remove("k");
        Cache.Refresh("k");
        Assert.Null(await Cache.GetAsync("k", Ct));
    }

    [Fact]
    public async Task No_expiry_keeps_the_entry()
    {
        await Cache.SetAsync("k", [1], new DistributedCacheEntryOptions(), Ct);
        Time.Advance(TimeSpan.FromDays(3650));
        Assert.Equal<byte[]?>([1], await Cache.GetAsync("k", Ct));
    }

    [Fact]
    public async Task Absolute_expiration_relative_to_now_ends_the_entry_however_often_it_is_read()
    {
        await Cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) }, Ct);

        Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal<byte[]?>([1], await Cache.GetAsync("k", Ct));
        await Cache.RefreshAsync("k", Ct);
        Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal<byte[]?>([1], await Cache.GetAsync("k", Ct));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await Cache.GetAsync("k", Ct));
    }

    [Fact]
    public async Task Absolute_expiration_at_a_point_in_time_ends_the_entry_then()
    {
        var at = Time.GetUtcNow().AddMinutes(5);
        await Cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = at }, Ct);

        Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        Assert.Equal<byte[]?>([1], await Cache.GetAsync("k", Ct));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await Cache.GetAsync("k", Ct));
    }

    [Fact]
    public async Task Sliding_expiration_is_renewed_by_get_and_refresh_and_ends_without_them()
    {
        await Cache.SetAsync("k", [7], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) }, Ct);

        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal<byte[]?>([7], await Cache.GetAsync("k", Ct));
        Time.Advance(TimeSpan.FromSeconds(8));
        await Cache.RefreshAsync("k", Ct);
        Time.Advance(TimeSpan.FromSeconds(8));
        Cache.Refresh("k");
        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal<byte[]?>([7], Cache.Get("k"));

        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await Cache.GetAsync("k", Ct));
    }

    [Fact]
    public async Task Sliding_expiration_never_passes_the_absolute_one()
    {
        await Cache.SetAsync("k", [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(10),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(25),
        }, Ct);

        for (var i = 0; i < 3; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(8));
            Assert.Equal<byte[]?>([1], await Cache.GetAsync("k", Ct));
        }

        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await Cache.GetAsync("k", Ct));
    }

    [Fact]
    public void The_synchronous_members_do_what_the_asynchronous_ones_do()
    {
        Cache.Set("k", [9, 9], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });
        Assert.Equal<byte[]?>([9, 9], Cache.Get("k"));
        Time.Advance(TimeSpan.FromSeconds(9));
        Cache.Refresh("k");
        Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal<byte[]?>([9, 9], Cache.Get("k"));
        Cache.Remove("k");
        Assert.Null(Cache.Get("k"));
    }

    [Fact]
    public async Task The_synchronous_members_do_not_deadlock_on_a_single_threaded_synchronization_context()
    {
        using var context = new SingleThreadContext();
        var work = context.RunAsync(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                Cache.Set("k" + i, [(byte)i], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
                Assert.Equal<byte[]?>([(byte)i], Cache.Get("k" + i));
                Cache.Refresh("k" + i);
                Cache.Remove("k" + i);
            }
        });

        Assert.Same(work, await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(60), Ct)));
        await work;
    }

    [Fact]
    public async Task Arguments_are_checked_as_IDistributedCache_users_expect()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.GetAsync(null!, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", null!, new DistributedCacheEntryOptions(), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", [1], null!, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.RemoveAsync(null!, Ct));
        Assert.Throws<ArgumentNullException>(() => Cache.Refresh(null!));
        await Assert.ThrowsAsync<ArgumentException>(() => Cache.GetAsync("", Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Cache.SetAsync(
            "k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = Time.GetUtcNow().AddSeconds(-1) }, Ct));
        Assert.Null(await Cache.GetAsync("k", Ct));
    }

    /// <summary>A UI-like context: one thread runs every posted continuation, in order.</summary>
    private sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly System.Collections.Concurrent.BlockingCollection<(SendOrPostCallback, object?)> _queue = [];
        private readonly Thread _thread;

        public SingleThreadContext()
        {
            _thread = new Thread(() =>
            {
                SetSynchronizationContext(this);
                foreach (var (callback, state) in _queue.GetConsumingEnumerable())
                {
                    callback(state);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

        public Task RunAsync(Action action)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Post(_ =>
            {
                try
                {
                    action();
                    done.SetResult();
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            }, null);
            return done.Task;
        }

        public void Dispose() => _queue.CompleteAdding();
    }
}

public sealed class SqliteDistributedCacheTests : DistributedCacheConformance
{
    private readonly TempDirectory _temp = new();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _temp.Dispose();
    }

    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options) =>
        await SqliteAdapter.OpenAsync(_temp.File("dc.db"), options);
}

/// <summary>A buffer read of a SQLite hit allocates nothing beyond the caller's buffer (what HybridCache's L2 reads are).</summary>
public sealed class SqliteBufferReadAllocationTests
{
    [Fact]
    public async Task ABufferReadOfAHit_AllocatesNothing()
    {
        using var temp = new TempDirectory();
        await using var adapter = await SqliteAdapter.OpenAsync(temp.File("alloc.db"));
        var cache = new PersistenceDistributedCache(adapter.Cache);
        var value = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        await cache.SetAsync("hot", value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) }, TestContext.Current.CancellationToken);
        var writer = new System.Buffers.ArrayBufferWriter<byte>(8192);
        for (var i = 0; i < 100; i++)
        {
            writer.ResetWrittenCount();
            Assert.True(await cache.TryGetAsync("hot", writer));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            writer.ResetWrittenCount();
            var hit = cache.TryGetAsync("hot", writer);
#pragma warning disable xUnit1031 // The read completes synchronously on a SQLite hit: that is what is measured.
            Assert.True(hit.IsCompletedSuccessfully && hit.Result);
#pragma warning restore xUnit1031
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(value, writer.WrittenSpan.ToArray());
        Assert.True(allocated == 0, $"1,000 buffer reads of a hit allocated {allocated} bytes");
    }
}

public sealed class PostgresDistributedCacheTests : DistributedCacheConformance
{
    protected override async ValueTask<IPersistenceAdapter> CreateConnectedAsync(PersistenceAdapterOptions options)
    {
        var adapter = PostgresAdapter.Create(await global::NativeAotPersistence.Tests.PostgreSql.PostgresServer.CreateSchemaAsync(), options);
        await adapter.ConnectAsync();
        return adapter;
    }
}
