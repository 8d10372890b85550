using System.Text;
using System.Text.Json;

namespace NativeAotPersistence.Tests.Payloads;

public sealed class BuiltInPayloadsTests
{
    public static readonly TheoryData<string> Options = new() { "default", nameof(PayloadNamingPolicy.CamelCase), nameof(PayloadNamingPolicy.PascalCase) };

    private static JsonSerializerOptions OptionsFor(string policy) =>
        policy == "default" ? ReferenceOptions.Default : ReferenceOptions.For(Enum.Parse<PayloadNamingPolicy>(policy));

    private static void RoundTrip<T>(JsonSerializerOptions options, params T[] values)
    {
        var info = BuiltInPayloads.Get<T>();
        Assert.NotNull(info);
        foreach (var value in values)
        {
            var ours = info.Serialize(value);
            var theirs = JsonSerializer.SerializeToUtf8Bytes(value, options);
            Assert.Equal(Encoding.UTF8.GetString(theirs), Encoding.UTF8.GetString(ours));
            Assert.Equal(value, info.Deserialize(theirs));
            Assert.Equal(value, JsonSerializer.Deserialize<T>(ours, options));
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Strings_and_bytes_match_System_Text_Json(string policy)
    {
        var o = OptionsFor(policy);
        RoundTrip<string?>(o, "", "plain", "quote \" backslash \\ slash / tab \t nl \n", "<script>&'", "héllo wörld", "emoji 😀 CJK 漢字", "\u0001\u001f\u007f", null);
        RoundTrip<byte[]?>(o, [], [0, 1, 2, 255], Encoding.UTF8.GetBytes("hello"), null);
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Integers_match_System_Text_Json(string policy)
    {
        var o = OptionsFor(policy);
        RoundTrip(o, true, false);
        RoundTrip(o, byte.MinValue, byte.MaxValue);
        RoundTrip(o, sbyte.MinValue, sbyte.MaxValue, (sbyte)0);
        RoundTrip(o, short.MinValue, short.MaxValue);
        RoundTrip(o, ushort.MinValue, ushort.MaxValue);
        RoundTrip(o, int.MinValue, -1, 0, 1, int.MaxValue);
        RoundTrip(o, uint.MinValue, uint.MaxValue);
        RoundTrip(o, long.MinValue, long.MaxValue, 0L);
        RoundTrip(o, ulong.MinValue, ulong.MaxValue);
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Floating_point_and_decimal_match_System_Text_Json(string policy)
    {
        var o = OptionsFor(policy);
        RoundTrip(o, 0f, -0f, 1.5f, float.MinValue, float.MaxValue, float.Epsilon, 0.1f, 3.4028235E+38f);
        RoundTrip(o, 0d, -0d, 0.1, 1e-300, double.MinValue, double.MaxValue, double.Epsilon, Math.PI);
        RoundTrip(o, 0m, decimal.MinValue, decimal.MaxValue, 1.10m, 0.0000000000000000000000000001m, -79228162514264337593543950335m);
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Guids_dates_and_times_match_System_Text_Json(string policy)
    {
        var o = OptionsFor(policy);
        RoundTrip(o, Guid.Empty, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));
        RoundTrip(o, DateTime.MinValue, DateTime.MaxValue, new DateTime(2024, 2, 29, 13, 14, 15, DateTimeKind.Utc),
            new DateTime(2024, 2, 29, 13, 14, 15, 123, DateTimeKind.Unspecified).AddTicks(4567));
        RoundTrip(o, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(2024, 2, 29, 13, 14, 15, 120, TimeSpan.FromHours(5.5)),
            new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero));
        RoundTrip(o, TimeSpan.Zero, TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.FromMilliseconds(1234.5), TimeSpan.FromDays(-3.25), TimeSpan.FromTicks(1));
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Nullable_value_types_match_System_Text_Json(string policy)
    {
        var o = OptionsFor(policy);
        RoundTrip<bool?>(o, null, true);
        RoundTrip<byte?>(o, null, 7);
        RoundTrip<sbyte?>(o, null, -7);
        RoundTrip<short?>(o, null, -300);
        RoundTrip<ushort?>(o, null, 300);
        RoundTrip<int?>(o, null, int.MinValue);
        RoundTrip<uint?>(o, null, uint.MaxValue);
        RoundTrip<long?>(o, null, long.MinValue);
        RoundTrip<ulong?>(o, null, ulong.MaxValue);
        RoundTrip<float?>(o, null, 2.5f);
        RoundTrip<double?>(o, null, double.MaxValue);
        RoundTrip<decimal?>(o, null, decimal.MaxValue);
        RoundTrip<Guid?>(o, null, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));
        RoundTrip<DateTime?>(o, null, new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Local));
        RoundTrip<DateTimeOffset?>(o, null, new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.FromHours(-8)));
        RoundTrip<TimeSpan?>(o, null, TimeSpan.FromHours(25));
    }

    [Fact]
    public void Types_that_are_not_built_in_have_no_info()
    {
        Assert.Null(BuiltInPayloads.Get<object>());
        Assert.Null(BuiltInPayloads.Get<char>());
        Assert.Null(BuiltInPayloads.Get<List<int>>());
        Assert.Null(BuiltInPayloads.Get<DayOfWeek>());
    }

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("5.5")]
    [InlineData("1e3")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("2147483648")]
    public void Reads_are_strict_like_System_Text_Json(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<int>(json, ReferenceOptions.For(PayloadNamingPolicy.CamelCase)));
        Assert.ThrowsAny<JsonException>(() => BuiltInPayloads.Get<int>()!.Deserialize(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("\"not a guid\"")]
    [InlineData("\" 01:00:00\"")]
    [InlineData("\"25:00:00\"")]
    public void Malformed_strings_throw_like_System_Text_Json(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<TimeSpan>(json));
        Assert.ThrowsAny<JsonException>(() => BuiltInPayloads.Get<TimeSpan>()!.Deserialize(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Escaped_input_from_other_writers_reads_back()
    {
        Assert.Equal("ab", BuiltInPayloads.Get<string>()!.Deserialize("\"\\u0061b\""u8));
        Assert.Equal(TimeSpan.FromHours(1), BuiltInPayloads.Get<TimeSpan>()!.Deserialize("\"\\u00301:00:00\""u8));
        Assert.Equal(new byte[] { 1, 2 }, BuiltInPayloads.Get<byte[]>()!.Deserialize("\"AQI=\""u8));
        Assert.Equal(1.5, BuiltInPayloads.Get<double>()!.Deserialize(" 1.5e0 "u8));
    }

    [Fact]
    public void Resolver_prefers_the_context_then_falls_back_to_built_ins()
    {
        var custom = new CustomInt();
        var context = new SingleContext(custom);
        Assert.Same(custom, PayloadResolver.Resolve<int>(context));
        Assert.Same(BuiltInPayloads.Get<int>(), PayloadResolver.Resolve<int>(null));
        Assert.Same(custom, PayloadResolver.Resolve<int>(context));
        Assert.Same(BuiltInPayloads.Get<string>(), PayloadResolver.Resolve<string>(context));
    }

    [Fact]
    public void Resolver_throws_for_unregistered_types_and_shows_the_fix()
    {
        var ex = Assert.Throws<PayloadTypeNotRegisteredException>(() => PayloadResolver.Resolve<Uri>(null));
        Assert.Equal(typeof(Uri), ex.PayloadType);
        Assert.Contains("[Payload(typeof(", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolver_does_not_allocate_when_cached()
    {
        var context = new SingleContext(new CustomInt());
        PayloadResolver.Resolve<int>(context);
        PayloadResolver.Resolve<long>(context);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            PayloadResolver.Resolve<int>(context);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private sealed class CustomInt : PayloadTypeInfo<int>
    {
        public override void Write(Utf8JsonWriter writer, int value) => writer.WriteNumberValue(value);

        public override int Read(ref Utf8JsonReader reader) => reader.GetInt32();
    }

    private sealed class SingleContext(PayloadTypeInfo info) : PayloadContext
    {
        public override PayloadTypeInfo? GetTypeInfo(Type type) => type == info.Type ? info : null;
    }
}
