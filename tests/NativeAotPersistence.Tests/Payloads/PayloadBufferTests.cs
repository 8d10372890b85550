using System.Buffers;
using System.Text;
using System.Text.Json;

namespace NativeAotPersistence.Tests.Payloads;

/// <summary>
/// The pooled buffer behind <see cref="PayloadTypeInfo{T}.Serialize(T)"/> and SQLite's payload binding: what it
/// allocates (deterministic, so asserted; the comparison with System.Text.Json is the benchmark project's
/// <c>--payload-alloc</c>), what it keeps between uses, and that its output stays byte-identical with System.Text.Json
/// across every growth and after a failed write.
/// </summary>
public sealed class PayloadBufferTests
{
    private static readonly JsonSerializerOptions Options = ReferenceOptions.For(PayloadNamingPolicy.CamelCase);

    private static readonly PayloadTypeInfo<List<int>> Ints = BufferPayloads.Default.ListInt32;

    private static List<int> ManyInts(int count)
    {
        var random = new Random(count);
        var list = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(random.Next(int.MinValue, int.MaxValue));
        }

        return list;
    }

    /// <summary>An ASCII string whose JSON (quotes included) is exactly <paramref name="jsonLength"/> bytes.</summary>
    private static string AsciiOfJsonLength(int jsonLength) =>
        string.Create(jsonLength - 2, 0, static (chars, _) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)('a' + (i % 26));
            }
        });

    /// <summary>Bytes allocated per call on this thread, after as many calls to warm up (pools filled, code jitted).</summary>
    private static long Measure(int iterations, Action action)
    {
        for (var i = 0; i < iterations; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            action();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / iterations;
    }

    /// <summary>What allocating the returned array alone costs (its header included).</summary>
    private static long ArrayCost(int length) => Measure(3, () => GC.KeepAlive(new byte[length]));

    private static void AssertSameAsSystemTextJson<T>(PayloadTypeInfo<T> info, T value)
    {
        var expected = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        var ours = info.Serialize(value);
        Assert.True(expected.AsSpan().SequenceEqual(ours), $"Serialize differs from System.Text.Json at {expected.Length} bytes.");

        var destination = new ArrayBufferWriter<byte>(16);
        info.Serialize(destination, value);
        Assert.True(expected.AsSpan().SequenceEqual(destination.WrittenSpan), $"Serialize(IBufferWriter) differs at {expected.Length} bytes.");

        var back = info.Deserialize(ours);
        Assert.True(expected.AsSpan().SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(back, Options)), "The value read back differs.");
    }

    [Fact]
    public void A_million_ints_allocate_only_the_returned_array()
    {
        var value = ManyInts(1_000_000);
        var length = Ints.Serialize(value).Length;
        Assert.True(length > 8 * PayloadBuffer.MaxRetainedSize, "The payload must outgrow what the buffer keeps.");

        var allocated = Measure(3, () => GC.KeepAlive(Ints.Serialize(value)));

        // Before the buffer was pooled this was ~4.8 times the array (50 MB): every growth was a new array.
        Assert.InRange(allocated - ArrayCost(length), 0, 2 * 1024);
    }

    [Fact]
    public void A_small_payload_allocates_only_the_returned_array()
    {
        var value = new List<int> { 1, 2, 3, -42, int.MaxValue };
        var length = Ints.Serialize(value).Length;
        Assert.Equal(ArrayCost(length), Measure(1000, () => GC.KeepAlive(Ints.Serialize(value))));
    }

    [Fact]
    public void A_medium_payload_allocates_only_the_returned_array()
    {
        // Past the initial array and within what is kept: grown once, then reused.
        var value = ManyInts(20_000);
        var length = Ints.Serialize(value).Length;
        Assert.InRange(length, 64 * 1024, PayloadBuffer.MaxRetainedSize / 2);
        Assert.Equal(ArrayCost(length), Measure(20, () => GC.KeepAlive(Ints.Serialize(value))));
    }

    [Fact]
    public void Serializing_into_a_buffer_writer_allocates_nothing_of_its_own()
    {
        var big = ManyInts(1_000_000);
        var small = new List<int> { 1, 2, 3 };
        var destination = new ArrayBufferWriter<byte>();
        Ints.Serialize(destination, big);

        // The destination has grown to fit; writing into it again allocates nothing, big or small.
        Assert.Equal(0, Measure(3, () =>
        {
            destination.ResetWrittenCount();
            Ints.Serialize(destination, big);
            destination.ResetWrittenCount();
            Ints.Serialize(destination, small);
        }));
    }

    [Fact]
    public void A_huge_payload_does_not_stay_with_the_thread()
    {
        var huge = ManyInts(300_000);
        Assert.True(Ints.Serialize(huge).Length > 2 * PayloadBuffer.MaxRetainedSize);
        Assert.Equal(PayloadBuffer.InitialSize, PayloadBuffer.CachedCapacity);

        // One that fits in what is kept stays, for the next payload of its size.
        var medium = ManyInts(30_000);
        var length = Ints.Serialize(medium).Length;
        Assert.InRange(PayloadBuffer.CachedCapacity, length, PayloadBuffer.MaxRetainedSize);

        Ints.Serialize(huge);
        Assert.Equal(PayloadBuffer.InitialSize, PayloadBuffer.CachedCapacity);
    }

    [Fact]
    public void The_connection_buffer_gives_a_huge_payload_back_once_bound()
    {
        using var adapter = OpenAdapter();
        var cache = adapter.Cache;
        var huge = ManyInts(300_000);
        Done(cache.SetAsync("huge", huge));
        Assert.Equal(PayloadBuffer.InitialSize, adapter.Pool.Writer.Payload.Capacity);
        Assert.Equal(huge, Done(cache.GetAsync<List<int>>("huge")));

        // Smaller ones keep the grown array (no regrowth on the next write of that size).
        var medium = ManyInts(30_000);
        Done(cache.SetAsync("medium", medium));
        Assert.InRange(adapter.Pool.Writer.Payload.Capacity, PayloadBuffer.InitialSize + 1, PayloadBuffer.MaxRetainedSize);
        Assert.Equal(medium, Done(cache.GetAsync<List<int>>("medium")));
    }

    public static TheoryData<int> LengthsAroundPowersOfTwo()
    {
        var data = new TheoryData<int>();
        for (var power = 2; power <= 22; power++)
        {
            foreach (var delta in new[] { -1, 0, 1 })
            {
                data.Add((1 << power) + delta);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LengthsAroundPowersOfTwo))]
    public void Strings_around_every_growth_are_byte_identical(int jsonLength)
    {
        var value = AsciiOfJsonLength(jsonLength);
        Assert.Equal(jsonLength, PayloadResolver.Resolve<string>(null).Serialize(value).Length);
        AssertSameAsSystemTextJson(PayloadResolver.Resolve<string>(null), value);

        // With characters the encoder escapes (<, é, an emoji) the writer asks for more than it writes.
        AssertSameAsSystemTextJson(PayloadResolver.Resolve<string>(null), "<é😀>" + value);
    }

    [Theory]
    [MemberData(nameof(LengthsAroundPowersOfTwo))]
    public void Lists_around_every_growth_are_byte_identical(int count)
    {
        if (count > 1 << 20)
        {
            return; // 1 << 20 ints (~11 MB of JSON) already crosses every boundary.
        }

        AssertSameAsSystemTextJson(Ints, ManyInts(count));
        AssertSameAsSystemTextJson(BufferPayloads.Default.ListString, [.. ManyInts(Math.Min(count, 1 << 16)).Select(i => $"item {i} <&>")]);
    }

    [Fact]
    public void Payloads_of_alternating_sizes_stay_byte_identical()
    {
        // The buffer goes big (pooled, given back), small (its own array), medium (kept) and big again: no stale bytes.
        foreach (var count in new[] { 300_000, 3, 30_000, 100, 300_000, 0, 30_000, 1 })
        {
            AssertSameAsSystemTextJson(Ints, ManyInts(count));
        }
    }

    public static TheoryData<int> FailureSizes => [10, 30_000, 300_000];

    [Theory]
    [MemberData(nameof(FailureSizes))]
    public void A_NaN_midway_leaves_the_buffer_usable(int count)
    {
        var doubles = BufferPayloads.Default.ListDouble;
        var value = ManyInts(count).ConvertAll(i => i / 7.0);
        value.Add(double.NaN);
        value.AddRange(ManyInts(count).ConvertAll(i => i / 3.0));

        var error = Assert.Throws<ArgumentException>(() => doubles.Serialize(value));
        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        Assert.InRange(PayloadBuffer.CachedCapacity, PayloadBuffer.InitialSize, PayloadBuffer.MaxRetainedSize);

        Assert.Throws<ArgumentException>(() => doubles.Serialize(new ArrayBufferWriter<byte>(), value));

        value.Remove(double.NaN);
        AssertSameAsSystemTextJson(doubles, value);
        AssertSameAsSystemTextJson(doubles, [1.5]);
        AssertSameAsSystemTextJson(Ints, ManyInts(count));
    }

    [Fact]
    public void Too_deep_midway_leaves_the_buffer_usable()
    {
        // A long list first, so the failing write has outgrown what the buffer keeps before it fails.
        var deep = new TreeNode("leaf", []);
        for (var i = 0; i < 40; i++)
        {
            deep = new TreeNode($"level {i} {new string('x', 100_000)}", [deep]);
        }

        var trees = BufferPayloads.Default.TreeNode;
        Assert.Throws<JsonException>(() => trees.Serialize(deep));
        Assert.Equal(PayloadBuffer.InitialSize, PayloadBuffer.CachedCapacity);

        var shallow = new TreeNode("root", [new TreeNode("a", []), new TreeNode(new string('y', 200_000), [])]);
        AssertSameAsSystemTextJson(trees, shallow);
        AssertSameAsSystemTextJson(Ints, ManyInts(1000));
    }

    [Fact]
    public void The_connection_keeps_no_huge_key_buffer()
    {
        using var adapter = OpenAdapter();
        var cache = adapter.Cache;
        var writer = adapter.Pool.Writer;
        var cap = 2 * NativeAotPersistence.Sqlite.SqliteConnection.MaxRetainedKeyBuffer;

        // 1.5 MB of UTF-8 (three bytes a character): a key is not limited in length, but what it was encoded into is not kept.
        var hugeKey = new string('€', 500_000);
        Done(cache.SetAsync(hugeKey, new List<int> { 1, 2, 3 }));
        Assert.InRange(writer.RetainedKeyBufferBytes, 0, cap);
        Assert.Equal([1, 2, 3], Done(cache.GetAsync<List<int>>(hugeKey)));
        Assert.True(Done(cache.HasAsync(hugeKey)));

        // A pattern's literal prefix is encoded twice (both ends of the key range): neither copy is kept either.
        Assert.Equal([hugeKey], Done(cache.KeysAsync(hugeKey[..^1] + "*")));
        Assert.InRange(writer.RetainedKeyBufferBytes, 0, cap);

        // Keys under the cap keep the grown buffers: the next key of that size encodes without allocating.
        var longKey = new string('k', 20_000);
        Done(cache.SetAsync(longKey, new List<int> { 4 }));
        Assert.InRange(writer.RetainedKeyBufferBytes, 20_000, cap);
        Assert.Equal([4], Done(cache.GetAsync<List<int>>(longKey)));
        Assert.True(Done(cache.DeleteAsync(hugeKey)));
        Assert.Equal([longKey], Done(cache.KeysAsync()));
    }

    [Fact]
    public void A_failed_store_leaves_the_connection_buffer_usable()
    {
        using var adapter = OpenAdapter();
        var cache = adapter.Cache;
        var value = ManyInts(300_000).ConvertAll(i => i / 7.0);
        value.Add(double.PositiveInfinity);
        Assert.Throws<ArgumentException>(() => Done(cache.SetAsync("bad", value)));
        Assert.Equal(PayloadBuffer.InitialSize, adapter.Pool.Writer.Payload.Capacity);
        Assert.False(Done(cache.HasAsync("bad")));

        value.RemoveAt(value.Count - 1);
        Done(cache.SetAsync("good", value));
        Assert.Equal(value, Done(cache.GetAsync<List<double>>("good")));
        Done(cache.SetAsync("small", new List<double> { 0.5 }));
        Assert.Equal([0.5], Done(cache.GetAsync<List<double>>("small")));
    }

    private static SqliteAdapter OpenAdapter() =>
        Done(SqliteAdapter.OpenAsync(":memory:", new PersistenceAdapterOptions { Payloads = BufferPayloads.Default }));

    private static T Done<T>(ValueTask<T> task) => task.AsTask().GetAwaiter().GetResult();

    private static void Done(ValueTask task) => task.AsTask().GetAwaiter().GetResult();
}

[Payload(typeof(List<int>))]
[Payload(typeof(List<double>))]
[Payload(typeof(List<string>))]
[Payload(typeof(TreeNode))]
internal sealed partial class BufferPayloads : PayloadContext
{
}
