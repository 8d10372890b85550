using System.Reflection;
using System.Text;
using System.Text.Json;
using NativeAotPersistence.Tests.Payloads;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// The generator as a peer of System.Text.Json: every shape below is written byte for byte as <see cref="JsonSerializer"/>
/// writes it with the reference options, and each side reads what the other wrote to the same value (compared by writing it
/// again with System.Text.Json). Where System.Text.Json refuses a shape, the generator refuses it at compile time
/// (<c>RefusalTests</c>); nothing is stored in a shape another reader sees differently.
/// </summary>
public sealed partial class ParityTests
{
    public static readonly TheoryData<string, bool> Cases = new()
    {
        { "CamelCase", false },
        { "PascalCase", false },
        { "SnakeCase", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_shape_is_byte_identical_both_ways(string policy, bool enumsAsNumbers)
    {
        using var loaded = Compiled.Load(Shapes, policy, enumsAsNumbers);
        var options = ReferenceOptions.For(Enum.Parse<PayloadNamingPolicy>(policy), enumsAsNumbers);
        var samples = (object?[])loaded.Assembly.GetType("Parity.Samples")!.GetMethod("All")!.Invoke(null, null)!;
        foreach (var sample in samples)
        {
            var type = sample!.GetType();
            var info = loaded.Context.GetTypeInfo(type);
            Assert.True(info is not null, type.Name);
            Invoke(nameof(Check), type, info, sample, options);
        }
    }

    /// <summary>
    /// <c>GetTypeInfo</c> finds a type by a key computed from its name and type arguments (so the JIT loads only the types
    /// that share it): every generated property's type, nested, generic, array, tuple or nullable, is found by it, as the
    /// same serializer; a type the context does not know is not.
    /// </summary>
    [Fact]
    public void GetTypeInfo_finds_every_type_the_context_has_a_property_for()
    {
        using var loaded = Compiled.Load(Shapes, "CamelCase", false);
        var properties = loaded.Context.GetType().GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(static p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(PayloadTypeInfo<>))
            .ToList();
        Assert.True(properties.Count > 60, properties.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var property in properties)
        {
            var type = property.PropertyType.GetGenericArguments()[0];
            Assert.True(ReferenceEquals(property.GetValue(loaded.Context), loaded.Context.GetTypeInfo(type)), type.ToString());
        }

        Assert.Contains(properties, static p => p.PropertyType.GetGenericArguments()[0].IsNested && p.PropertyType.GetGenericArguments()[0].IsGenericType);
        Assert.Null(loaded.Context.GetTypeInfo(typeof(int)));
        Assert.Null(loaded.Context.GetTypeInfo(typeof(List<Uri>)));
        Assert.Null(loaded.Context.GetTypeInfo(typeof(Dictionary<string, List<int?>>[][])));
    }

    [Fact]
    public void Included_members_and_a_private_constructor_are_read_back()
    {
        using var loaded = Compiled.Load(Shapes, "CamelCase", false);
        var included = loaded.Assembly.GetType("Parity.Included")!;
        var json = """{"internal":1,"name":"x","readOnlyOutside":2,"_secret":3}"""u8.ToArray();
        var value = Invoke(nameof(Deserialize), included, loaded.Context.GetTypeInfo(included), json);
        Assert.Equal(3L, included.GetMethod("Secret")!.Invoke(value, null));
        Assert.Equal("x", included.GetProperty("Name")!.GetValue(value));
        Assert.Equal(2, included.GetProperty("ReadOnlyOutside")!.GetValue(value));

        var constructed = loaded.Assembly.GetType("Parity.PrivateConstructed")!;
        var read = Invoke(nameof(Deserialize), constructed, loaded.Context.GetTypeInfo(constructed), """{"label":"l","id":9}"""u8.ToArray());
        Assert.Equal(9, constructed.GetProperty("Id")!.GetValue(read));
    }

    [Fact]
    public void An_unmapped_property_fails_both_readers_where_the_type_disallows_it()
    {
        using var loaded = Compiled.Load(Shapes, "CamelCase", false);
        var strict = loaded.Assembly.GetType("Parity.Strict")!;
        var info = loaded.Context.GetTypeInfo(strict);
        var options = ReferenceOptions.For(PayloadNamingPolicy.CamelCase);

        // A known property, even one that is never read (computed), is mapped; an unknown one is refused by both.
        foreach (var (json, accepted) in new[] { ("""{"x":1}""", true), ("""{"x":1,"computed":5}""", true), ("""{"x":1,"y":2}""", false), ("""{"X":1}""", false) })
        {
            var theirs = Outcome(() => JsonSerializer.Deserialize(json, strict, options));
            var ours = Outcome(() => Invoke(nameof(Deserialize), strict, info, Encoding.UTF8.GetBytes(json)));
            Assert.Equal(accepted, theirs);
            Assert.Equal(theirs, ours);
        }
    }

    [Fact]
    public void A_value_deeper_than_64_or_a_cycle_is_refused_by_the_writer_as_System_Text_Json_refuses_it()
    {
        using var loaded = Compiled.Load(Shapes, "CamelCase", false);
        var nodeType = loaded.Assembly.GetType("Parity.Node")!;
        var info = loaded.Context.GetTypeInfo(nodeType)!;
        var next = nodeType.GetProperty("Next")!;
        var options = ReferenceOptions.For(PayloadNamingPolicy.CamelCase);

        object Chain(int length)
        {
            var node = Activator.CreateInstance(nodeType)!;
            for (var i = 1; i < length; i++)
            {
                var outer = Activator.CreateInstance(nodeType)!;
                next.SetValue(outer, node);
                node = outer;
            }

            return node;
        }

        // No value is written deeper than 64 levels: 63 nested objects (their members at level 64) are written by both, 64
        // (members at level 65, even nulls) are refused by both, also through the raw Write method with a writer that
        // would go deeper, and a cycle fails the same way (not at depth 1000, not with an InvalidOperationException).
        Assert.NotNull(JsonSerializer.SerializeToUtf8Bytes(Chain(63), nodeType, options));
        Assert.NotNull(Invoke(nameof(Serialize), nodeType, info, Chain(63)));
        Assert.Throws<JsonException>(() => JsonSerializer.SerializeToUtf8Bytes(Chain(64), nodeType, options));
        Assert.Throws<JsonException>(() => Invoke(nameof(Serialize), nodeType, info, Chain(64)));
        Assert.Throws<JsonException>(() => Invoke(nameof(WriteRaw), nodeType, info, Chain(64)));

        var cycle = Chain(3);
        var last = cycle;
        while (next.GetValue(last) is { } inner)
        {
            last = inner;
        }

        next.SetValue(last, cycle);
        Assert.Throws<JsonException>(() => JsonSerializer.SerializeToUtf8Bytes(cycle, nodeType, options));
        var error = Assert.Throws<JsonException>(() => Invoke(nameof(WriteRaw), nodeType, info, cycle));
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
    }

    public static readonly TheoryData<bool> EnumModes = new() { false, true };

    /// <summary>
    /// Enum names are where the two readers could quietly disagree: every candidate text (names, custom names in other
    /// cases, C# names of renamed members, combinations, spaces, integers, junk) is accepted by both or refused by both,
    /// as a value and as a dictionary key, and read to the same value.
    /// </summary>
    [Theory]
    [MemberData(nameof(EnumModes))]
    public void Enum_texts_are_accepted_and_refused_exactly_as_System_Text_Json_does(bool enumsAsNumbers)
    {
        using var loaded = Compiled.Load(Shapes, "CamelCase", enumsAsNumbers);
        var options = ReferenceOptions.For(PayloadNamingPolicy.CamelCase, enumsAsNumbers);
        var enums = loaded.Assembly.GetType("Parity.Enums")!;
        var info = loaded.Context.GetTypeInfo(enums);
        var pieces = new[]
        {
            "None", "none", "read-it", "READ-IT", "Read", "read", "write-it", "Delete", "DELETE", "ReadWrite", "Admin", "Alias", "alias",
            "1", "3", "-1", "+2", " 4", "8 ", "16", "99999999999", "1.0", "0x1", "", " ", "Low", "low", "mid dle", "Mid Dle", "Middle",
            "High", "-5", "32767", "32768", "Small", "Huge", "18446744073709551615", "-0", "nope",
        };
        var texts = new List<string>(pieces);
        foreach (var a in new[] { "read-it", "Read", "Delete", "delete", "3", "Admin", "write-it" })
        {
            foreach (var b in new[] { "write-it", "Delete", " delete ", "8", "read-it", "Alias" })
            {
                texts.Add(a + ", " + b);
                texts.Add(a + "," + b);
            }
        }

        var mismatches = new List<string>();
        foreach (var property in new[] { "p", "l", "b" })
        {
            foreach (var text in texts)
            {
                var json = "{\"" + property + "\":" + JsonSerializer.Serialize(text) + "}";
                Compare(json);
            }
        }

        foreach (var dictionary in new[] { "byPerm", "byLevel" })
        {
            foreach (var text in texts)
            {
                var json = "{\"" + dictionary + "\":{" + JsonSerializer.Serialize(text) + ":" + (dictionary == "byPerm" ? "1" : "\"v\"") + "}}";
                Compare(json);
            }
        }

        foreach (var number in new[] { "0", "1", "3", "-1", "16", "1.5", "32768", "-32769" })
        {
            Compare("{\"p\":" + number + "}");
            Compare("{\"l\":" + number + "}");
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));

        void Compare(string json)
        {
            object? theirs = null, ours = null;
            var theirsOk = Outcome(() => theirs = JsonSerializer.Deserialize(json, enums, options));
            var oursOk = Outcome(() => ours = Invoke(nameof(Deserialize), enums, info, Encoding.UTF8.GetBytes(json)));
            if (theirsOk != oursOk)
            {
                mismatches.Add($"{json}: System.Text.Json {(theirsOk ? "accepts" : "refuses")}, the generated reader {(oursOk ? "accepts" : "refuses")}");
            }
            else if (theirsOk && JsonSerializer.Serialize(theirs, enums, options) != JsonSerializer.Serialize(ours, enums, options))
            {
                mismatches.Add($"{json}: read as {JsonSerializer.Serialize(theirs, enums, options)} by System.Text.Json, {JsonSerializer.Serialize(ours, enums, options)} by the generated reader");
            }
        }
    }

    [Fact]
    public void Every_enum_value_up_to_64_is_written_as_System_Text_Json_writes_it()
    {
        foreach (var numbers in new[] { false, true })
        {
            using var loaded = Compiled.Load(Shapes, "CamelCase", numbers);
            var options = ReferenceOptions.For(PayloadNamingPolicy.CamelCase, numbers);
            var enums = loaded.Assembly.GetType("Parity.Enums")!;
            var perm = loaded.Assembly.GetType("Parity.Perm")!;
            var info = loaded.Context.GetTypeInfo(enums)!;
            for (var bits = -2; bits < 64; bits++)
            {
                var value = Activator.CreateInstance(enums)!;
                enums.GetProperty("P")!.SetValue(value, Enum.ToObject(perm, bits));
                var byPerm = (System.Collections.IDictionary)Activator.CreateInstance(enums.GetProperty("ByPerm")!.PropertyType)!;
                byPerm[Enum.ToObject(perm, bits)] = bits;
                enums.GetProperty("ByPerm")!.SetValue(value, byPerm);
                Invoke(nameof(Check), enums, info, value, options);
            }
        }
    }

    internal static bool Outcome(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static object? Invoke(string method, Type type, params object?[] arguments)
    {
        var generic = typeof(ParityTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        try
        {
            return generic.Invoke(null, arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    internal static T Deserialize<T>(PayloadTypeInfo<T> info, byte[] json) => info.Deserialize(json);

    internal static byte[] Serialize<T>(PayloadTypeInfo<T> info, T value) => info.Serialize(value);

    private static void WriteRaw<T>(PayloadTypeInfo<T> info, T value)
    {
        using var stream = new MemoryStream();
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { MaxDepth = 1000, SkipValidation = true });
        info.Write(writer, value);
    }

    /// <summary>Written alike; each side reads the other's output to what the other side reads it to.</summary>
    private static void Check<T>(PayloadTypeInfo<T> info, T value, JsonSerializerOptions options)
    {
        var label = typeof(T).Name + " " + JsonSerializer.Serialize(value, options);
        var theirs = JsonSerializer.SerializeToUtf8Bytes(value, options);
        var ours = info.Serialize(value);
        Assert.True(Encoding.UTF8.GetString(theirs) == Encoding.UTF8.GetString(ours), label + "\n ours: " + Encoding.UTF8.GetString(ours));

        var theirsRead = JsonSerializer.Serialize(JsonSerializer.Deserialize<T>(theirs, options), options);
        Assert.Equal(theirsRead, JsonSerializer.Serialize(info.Deserialize(theirs), options));
        Assert.Equal(theirsRead, Encoding.UTF8.GetString(info.Serialize(info.Deserialize(theirs))));
    }
}
