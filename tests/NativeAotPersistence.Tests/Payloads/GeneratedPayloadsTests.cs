using System.Text;
using System.Text.Json;

namespace NativeAotPersistence.Tests.Payloads;

/// <summary>Generated serializers (built through the real analyzer path) against System.Text.Json with the reference options.</summary>
public sealed class GeneratedPayloadsTests
{
    public static readonly TheoryData<string> Policies = new() { "Camel", "Pascal", "Snake", "KebabNumbers" };

    private static (PayloadContext Context, JsonSerializerOptions Options) For(string policy) => policy switch
    {
        "Camel" => (CamelPayloads.Default, ReferenceOptions.For(PayloadNamingPolicy.CamelCase)),
        "Pascal" => (PascalPayloads.Default, ReferenceOptions.For(PayloadNamingPolicy.PascalCase)),
        "Snake" => (SnakePayloads.Default, ReferenceOptions.For(PayloadNamingPolicy.SnakeCase)),
        _ => (KebabNumberPayloads.Default, ReferenceOptions.For(PayloadNamingPolicy.KebabCase, enumsAsNumbers: true)),
    };

    private static void AssertMatches<T>(PayloadContext context, JsonSerializerOptions options, T value)
    {
        var info = Assert.IsType<PayloadTypeInfo<T>>(context.GetTypeInfo(typeof(T)), exactMatch: false);
        var theirs = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(value, options));
        var ours = Encoding.UTF8.GetString(info.Serialize(value));
        Assert.Equal(theirs, ours);

        // Each side reads the other's output back to the same JSON.
        var readByUs = info.Deserialize(Encoding.UTF8.GetBytes(theirs));
        Assert.Equal(theirs, Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(readByUs, options)));
        var readByThem = JsonSerializer.Deserialize<T>(ours, options);
        Assert.Equal(ours, Encoding.UTF8.GetString(info.Serialize(readByThem!)));
    }

    private static OrderState FullOrder() => new()
    {
        Id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        CustomerName = "Zoë \"Q\" <O'Brien> 😀",
        Lines = [new OrderLine("A-1", 2, 9.99m), new OrderLine("ü/\\", int.MaxValue, decimal.MaxValue)],
        Tags = new() { ["priority"] = "high", ["ключ"] = "значение", [""] = "empty key" },
        Status = Status.Done,
        PreviousStatus = Status.Active,
        Permissions = Permissions.Read | Permissions.Write,
        CreatedAt = new DateTimeOffset(2024, 2, 29, 23, 59, 59, 999, TimeSpan.FromHours(-3.5)),
        ShippedAt = new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc),
        Timeout = TimeSpan.FromMinutes(90.5),
        Signature = [0, 1, 2, 254, 255],
        Big = long.MinValue,
        Ratio = double.MaxValue,
        Numbers = [1, -1, int.MinValue],
        Notes = ["one", "two"],
        Counters = new Dictionary<string, int> { ["a"] = 1 },
        Lazy = [3, 4],
        Floats = [1.5f, float.Epsilon],
        Flags = [true, false],
        LinesByKey = new Dictionary<string, OrderLine?> { ["x"] = new OrderLine("x", 1, 0m), ["none"] = null },
    };

    private static OrderState EmptyOrder() => new()
    {
        Lines = [],
        Tags = [],
        Numbers = [],
        Notes = [],
        Counters = new Dictionary<string, int>(),
        Lazy = [],
        Floats = [],
        Flags = [],
        LinesByKey = new Dictionary<string, OrderLine?>(),
        Permissions = (Permissions)64,
    };

    private static TreeNode Tree()
    {
        var leaf = new TreeNode("leaf", []);
        return new TreeNode("root", [new TreeNode("a", [leaf, new TreeNode("b", [])]), new TreeNode("c", [], new TreeNode("detached", []))]);
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Objects_with_every_member_shape_match(string policy)
    {
        var (context, options) = For(policy);
        AssertMatches(context, options, FullOrder());
        AssertMatches(context, options, EmptyOrder());
        AssertMatches(context, options, new OrderState { Lines = null! });
        AssertMatches<OrderState?>(context, options, null);
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Recursive_records_inheritance_and_extremes_match(string policy)
    {
        var (context, options) = For(policy);
        AssertMatches(context, options, Tree());
        AssertMatches(context, options, new Dog { Name = "Rex", GoodBoy = true, Breed = "collie" });
        AssertMatches(context, options, new Extremes());
        AssertMatches(context, options, new Extremes { Text = "", MaxDouble = double.Epsilon, MinFloat = -0f, MaxDecimal = decimal.MinValue });
    }

    [Fact]
    public void Camel_case_context_covers_constructors_structs_and_attributes()
    {
        var (context, options) = For("Camel");
        AssertMatches(context, options, new Point { X = -1, Y = int.MaxValue, Z = 0.5 });
        AssertMatches(context, options, new Point());
        AssertMatches(context, options, new Money(12.34m, "EUR"));
        AssertMatches(context, options, new Annotated { Renamed = "r", MustHave = 7, AlsoRequired = "yes", OnlyWhenSet = "set", OnlyWhenNonZero = 3, First = "f", Last = "l" });
        AssertMatches(context, options, new Annotated { AlsoRequired = "" });
        AssertMatches(context, options, new WithConstructor(42, "label") { Extra = "extra" });
        AssertMatches(context, options, new SetsRequired { Name = "n" });
        AssertMatches(context, options, new Outer { Child = new Outer.Inner { Value = "v", Next = new Outer.Inner { Value = "w" } } });
        AssertMatches(context, options, new List<OrderLine> { new("a", 1, 1m) });
        AssertMatches(context, options, new List<OrderLine>());
        AssertMatches(context, options, new Dictionary<string, List<Point>> { ["p"] = [new Point { X = 1 }], ["q"] = [] });
        AssertMatches(context, options, 42);
        AssertMatches(context, options, new[] { Status.Pending, Status.Done, (Status)77 });
    }

    [Fact]
    public void Generated_properties_and_GetTypeInfo_are_consistent()
    {
        var context = CamelPayloads.Default;
        Assert.Same(context.OrderState, context.GetTypeInfo(typeof(OrderState)));
        Assert.Same(context.ListOrderLine, context.GetTypeInfo(typeof(List<OrderLine>)));
        Assert.Same(context.OrderLine, context.GetTypeInfo(typeof(OrderLine)));
        Assert.Same(context.Int32, context.GetTypeInfo(typeof(int)));
        Assert.Null(context.GetTypeInfo(typeof(Uri)));
        Assert.Same(context.OrderState, PayloadResolver.Resolve<OrderState>(context));
    }

    [Fact]
    public void Missing_init_members_keep_their_initializers_like_System_Text_Json()
    {
        var json = """{"mustHave":1,"alsoRequired":"x"}"""u8;
        var ours = CamelPayloads.Default.Annotated.Deserialize(json);
        var theirs = JsonSerializer.Deserialize<Annotated>(json, ReferenceOptions.For(PayloadNamingPolicy.CamelCase))!;
        Assert.Equal(theirs.WithInitializer, ours.WithInitializer);
        Assert.Equal([1, 2, 3], ours.WithInitializer);
        Assert.Equal("hidden", ours.Secret);
    }

    [Fact]
    public void Constructor_parameters_bind_case_insensitively_and_use_defaults()
    {
        var ours = CamelPayloads.Default.WithConstructor.Deserialize("""{"id":5}"""u8);
        Assert.Equal(5, ours.Id);
        Assert.Equal("none", ours.Label);
    }

    [Fact]
    public void Unknown_properties_are_skipped()
    {
        var json = """{"unknown":{"deep":[1,2,{"x":null}]},"sku":"s","quantity":3,"unitPrice":1.5,"extra":"z"}"""u8;
        var line = CamelPayloads.Default.OrderLine.Deserialize(json);
        Assert.Equal(new OrderLine("s", 3, 1.5m), line);
    }

    [Fact]
    public void Escaped_property_names_and_case_insensitive_enum_names_read()
    {
        var line = CamelPayloads.Default.OrderLine.Deserialize("""{"\u0073ku":"s","quantity":3,"unitPrice":1}"""u8);
        Assert.Equal("s", line.Sku);
        Assert.Equal(Status.Active, CamelPayloads.Default.Status.Deserialize("\"active\""u8));
        Assert.Equal(Status.Done, CamelPayloads.Default.Status.Deserialize("\"done-ish\""u8));
        Assert.Equal(Status.Active, CamelPayloads.Default.Status.Deserialize("5"u8));
        Assert.Equal(Permissions.Read | Permissions.Execute, CamelPayloads.Default.Permissions.Deserialize("\"Read, Execute\""u8));
    }

    [Fact]
    public void Missing_required_members_throw_with_type_and_property()
    {
        var ex = Assert.ThrowsAny<JsonException>(() => CamelPayloads.Default.Annotated.Deserialize("""{"alsoRequired":"x"}"""u8));
        Assert.Contains("mustHave", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Annotated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_token_types_throw_with_the_json_path()
    {
        var ex = Assert.ThrowsAny<JsonException>(() => CamelPayloads.Default.OrderState.Deserialize("""{"lines":[{"sku":"a","quantity":1,"unitPrice":1},{"sku":"b","quantity":"2"}]}"""u8));
        Assert.Equal("$.lines[1].quantity", ex.Path);
        Assert.Contains("$.lines[1].quantity", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OrderState", ex.Message, StringComparison.Ordinal);

        var dict = Assert.ThrowsAny<JsonException>(() => CamelPayloads.Default.OrderState.Deserialize("""{"tags":{"k":1}}"""u8));
        Assert.Equal("$.tags.k", dict.Path);
    }

    [Fact]
    public void Unknown_enum_names_throw()
    {
        var ex = Assert.ThrowsAny<JsonException>(() => CamelPayloads.Default.OrderState.Deserialize("""{"status":"Nope"}"""u8));
        Assert.Contains("Nope", ex.Message, StringComparison.Ordinal);
        Assert.Equal("$.status", ex.Path);
        Assert.ThrowsAny<JsonException>(() => KebabNumberPayloads.Default.OrderState.Deserialize("""{"status":"Active"}"""u8));
    }

    [Fact]
    public void Numbers_in_strings_are_rejected()
    {
        Assert.ThrowsAny<JsonException>(() => CamelPayloads.Default.OrderLine.Deserialize("""{"sku":"a","quantity":"1","unitPrice":1}"""u8));
    }

    [Fact]
    public void Writing_into_a_pooled_buffer_does_not_allocate()
    {
        var info = CamelPayloads.Default.OrderState;
        var order = FullOrder();
        order.Lazy = null;
        order.Floats = null;
        order.Flags = null;
        order.LinesByKey = null;
        order.Permissions = Permissions.Read; // Flag combinations are formatted with Enum.ToString, which allocates.
        order.Counters = null;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        info.Serialize(buffer, order);
        buffer.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            info.Serialize(buffer, order);
            buffer.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
