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
public sealed class ParityTests
{
    internal const string Shapes = """
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Collections.ObjectModel;
        using System.Text.Json;
        using System.Text.Json.Nodes;
        using System.Text.Json.Serialization;
        using NativeAotPersistence;

        namespace Parity;

        public class TagList : List<string> { public string Extra { get; set; } = "not written"; }
        public sealed class Counts : Dictionary<string, int> { public int Ignored { get; set; } }
        public sealed class Bag : Collection<int> { }
        public sealed class Holder
        {
            public TagList? Tags { get; set; }
            public Counts? Counts { get; set; }
            public Bag? Bag { get; set; }
            public ObservableCollection<string>? Observed { get; set; }
        }

        public sealed class Included
        {
            [JsonInclude] internal int Internal { get; set; }
            [JsonInclude] public string Name { get; private set; } = "";
            [JsonInclude] private long _secret;
            [JsonInclude] public int ReadOnlyOutside { get; private set; }
            public long Secret() => _secret;
            public static Included Make() => new() { Internal = 7, Name = "n", _secret = 42, ReadOnlyOutside = 3 };
        }

        public sealed class PrivateConstructed
        {
            [JsonConstructor] private PrivateConstructed(int id, string label) { Id = id; Label = label; }
            public int Id { get; }
            public string Label { get; }
            public static PrivateConstructed Make(int id, string label) => new(id, label);
        }

        [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
        public sealed class Strict { public int X { get; set; } public int Computed => X * 2; }

        [Flags]
        public enum Perm
        {
            None = 0,
            [JsonStringEnumMemberName("read-it")] Read = 1,
            [JsonStringEnumMemberName("write-it")] Write = 2,
            Delete = 4,
            ReadWrite = 3,
            Admin = 8,
            Alias = 8,
        }

        public enum Level : short { Low = -1, [JsonStringEnumMemberName("mid dle")] Middle = 0, High = 1 }
        public enum Big : ulong { Small = 1, Huge = ulong.MaxValue }

        public sealed class Enums
        {
            public Perm P { get; set; }
            public Level L { get; set; }
            public Big B { get; set; }
            public Dictionary<Perm, int>? ByPerm { get; set; }
            public Dictionary<Level, string>? ByLevel { get; set; }
        }

        public class GenericInit<T> { public T? Value { get; init; } public int Plain { get; set; } }
        public class GenBase<T> { public T? Inherited { get; init; } }
        public sealed class FromGenBase : GenBase<int> { public string Own { get; init; } = ""; }
        public struct GenericStruct<T> { public T Value { get; init; } }

        public sealed class Keywords
        {
            public int @class { get; set; }
            public string @event = "";
            [JsonPropertyName("a\"b\\c")] public int Escaped { get; set; }
            [JsonPropertyName("ключ")] public string Unicode { get; set; } = "";
            [JsonPropertyName("<tag>&")] public bool Html { get; set; }
        }

        public sealed class Node { public string Name { get; set; } = ""; public Node? Next { get; set; } }

        public sealed class Scalars
        {
            public char C { get; set; }
            public char? MaybeC { get; set; }
            public DateOnly D { get; set; }
            public TimeOnly T { get; set; }
            public Half H { get; set; }
            public Int128 I { get; set; }
            public UInt128 U { get; set; }
            public Uri? Link { get; set; }
            public Version? V { get; set; }
            public DateOnly? MaybeD { get; set; }
        }

        public sealed class Collections
        {
            public HashSet<int>? Set { get; set; }
            public ISet<string>? ISet { get; set; }
            public SortedSet<string>? Sorted { get; set; }
            public LinkedList<int>? Linked { get; set; }
            public Queue<int>? Queue { get; set; }
            public Stack<int>? Stack { get; set; }
            public ImmutableArray<int> ImmArray { get; set; } = ImmutableArray<int>.Empty;
            public ImmutableList<string>? ImmList { get; set; }
            public IImmutableList<int>? IImmList { get; set; }
            public ImmutableHashSet<int>? ImmSet { get; set; }
            public ImmutableSortedSet<int>? ImmSorted { get; set; }
            public ImmutableQueue<int>? ImmQueue { get; set; }
            public ImmutableStack<int>? ImmStack { get; set; }
            public ImmutableDictionary<string, int>? ImmDict { get; set; }
            public ImmutableSortedDictionary<int, string>? ImmSortedDict { get; set; }
            public IReadOnlyCollection<int>? RoCollection { get; set; }
            public ICollection<int>? Collection { get; set; }
            public IEnumerable<int>? Enumerable { get; set; }
            public SortedDictionary<string, int>? SortedDict { get; set; }
        }

        public sealed class Keys
        {
            public Dictionary<int, string>? Ints { get; set; }
            public Dictionary<long, int>? Longs { get; set; }
            public Dictionary<Guid, int>? Guids { get; set; }
            public Dictionary<bool, int>? Bools { get; set; }
            public Dictionary<char, int>? Chars { get; set; }
            public Dictionary<double, int>? Doubles { get; set; }
            public Dictionary<DateOnly, int>? Dates { get; set; }
            public Dictionary<DateTime, int>? Times { get; set; }
            public IReadOnlyDictionary<uint, List<int>>? Nested { get; set; }
            public IDictionary<decimal, string>? Decimals { get; set; }
        }

        public sealed class Free
        {
            public JsonElement Element { get; set; }
            public JsonElement? MaybeElement { get; set; }
            public JsonNode? Node { get; set; }
            public JsonObject? Object { get; set; }
            public JsonArray? Array { get; set; }
        }

        public sealed class Tuples
        {
            public (int, string) Pair { get; set; }
            public (int Count, string Name) Named { get; set; }
            public (int, int, int, int, int, int, int, int, int) Long { get; set; }
            public List<(string, double)>? Points { get; set; }
        }

        public class Outer<T> { public sealed class Inner { public T? Value { get; set; } public List<T>[]? Lists { get; set; } } }

        public sealed class Lookups
        {
            public Outer<int>.Inner? Nested { get; set; }
            public Dictionary<string, List<int?>>[]? Arrays { get; set; }
            public (int Id, List<string> Names)? MaybePair { get; set; }
            public int[][]? Jagged { get; set; }
        }

        public static class Samples
        {
            public static object?[] All()
            {
                var deep = new Node { Name = "0" };
                for (var i = 1; i < 63; i++) deep = new Node { Name = i.ToString(), Next = deep };
                return new object?[]
                {
                    new Holder(),
                    new Holder
                    {
                        Tags = new TagList { "a", "b" },
                        Counts = new Counts { ["x"] = 1, ["y"] = -2 },
                        Bag = new Bag { 3, 1, 2 },
                        Observed = new ObservableCollection<string> { "o" },
                    },
                    new TagList { "root", "list" },
                    Included.Make(),
                    PrivateConstructed.Make(5, "five"),
                    new Strict { X = 4 },
                    new Enums(),
                    new Enums
                    {
                        P = Perm.Read | Perm.Delete, L = Level.Middle, B = Big.Huge,
                        ByPerm = new Dictionary<Perm, int> { [Perm.None] = 0, [Perm.Read | Perm.Write] = 1, [Perm.Write | Perm.Delete] = 2, [(Perm)16] = 3, [Perm.Admin] = 4 },
                        ByLevel = new Dictionary<Level, string> { [Level.Low] = "l", [Level.Middle] = "m", [(Level)7] = "x" },
                    },
                    new Enums { P = Perm.Read | Perm.Write | Perm.Delete | Perm.Admin, L = (Level)(-5), B = (Big)7 },
                    new Enums { P = (Perm)17, L = Level.High, B = Big.Small },
                    new GenericInit<int> { Value = 3, Plain = 4 },
                    new GenericInit<string> { Value = "s" },
                    new FromGenBase { Inherited = 9, Own = "own" },
                    new GenericStruct<long> { Value = long.MinValue },
                    new Keywords { @class = 1, @event = "e", Escaped = 2, Unicode = "значение", Html = true },
                    deep,
                    new Scalars(),
                    new Scalars
                    {
                        C = '"', MaybeC = '\u00e9', D = new DateOnly(2024, 2, 29), T = new TimeOnly(23, 59, 59, 999, 999), H = (Half)(-1.5),
                        I = Int128.MinValue, U = UInt128.MaxValue, Link = new Uri("https://example.com/a b?q=1#f"), V = new Version(1, 2, 3, 4),
                        MaybeD = DateOnly.MinValue,
                    },
                    new Scalars { C = '\u0000', T = TimeOnly.MinValue, H = Half.MaxValue, Link = new Uri("relative/path", UriKind.Relative), V = new Version(0, 0) },
                    new Collections(),
                    new Collections
                    {
                        Set = new HashSet<int> { 3, 1, 2 }, ISet = new HashSet<string> { "b", "a" },
                        Sorted = new SortedSet<string> { "z", "a" }, Linked = new LinkedList<int>(new[] { 1, 2 }), Queue = new Queue<int>(new[] { 1, 2 }),
                        Stack = new Stack<int>(new[] { 1, 2, 3 }), ImmArray = ImmutableArray.Create(5, 6), ImmList = ImmutableList.Create("l"),
                        IImmList = ImmutableList.Create(1, 2), ImmSet = ImmutableHashSet.Create(4), ImmSorted = ImmutableSortedSet.Create(3, 1),
                        ImmQueue = ImmutableQueue.Create(1, 2), ImmStack = ImmutableStack.Create(1, 2),
                        ImmDict = ImmutableDictionary<string, int>.Empty.Add("k", 1), ImmSortedDict = ImmutableSortedDictionary<int, string>.Empty.Add(2, "b").Add(1, "a"),
                        RoCollection = new[] { 1 }, Collection = new List<int> { 2 }, Enumerable = new[] { 3, 4 },
                        SortedDict = new SortedDictionary<string, int> { ["b"] = 2, ["a"] = 1 },
                    },
                    new Keys(),
                    new Keys
                    {
                        Ints = new Dictionary<int, string> { [1] = "a", [-2] = "b", [int.MaxValue] = "c" },
                        Longs = new Dictionary<long, int> { [long.MinValue] = 1 },
                        Guids = new Dictionary<Guid, int> { [Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")] = 1 },
                        Bools = new Dictionary<bool, int> { [true] = 1, [false] = 0 },
                        Chars = new Dictionary<char, int> { ['x'] = 1, ['"'] = 2 },
                        Doubles = new Dictionary<double, int> { [1.5] = 1, [-0.25] = 2 },
                        Dates = new Dictionary<DateOnly, int> { [new DateOnly(2020, 1, 1)] = 1 },
                        Times = new Dictionary<DateTime, int> { [new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc)] = 1 },
                        Nested = new Dictionary<uint, List<int>> { [7] = new List<int> { 1 } },
                        Decimals = new Dictionary<decimal, string> { [1.10m] = "x" },
                    },
                    new Free { Element = JsonDocument.Parse("{\"a\":[1,2.50,\"x\",null,true]}").RootElement.Clone() },
                    new Free
                    {
                        Element = JsonDocument.Parse("\"text\"").RootElement.Clone(),
                        MaybeElement = JsonDocument.Parse("[{}]").RootElement.Clone(),
                        Node = JsonNode.Parse("{\"n\":1e3}"), Object = new JsonObject { ["k"] = "v" }, Array = new JsonArray(1, "two"),
                    },
                    new Tuples(),
                    new Lookups(),
                    new Lookups
                    {
                        Nested = new Outer<int>.Inner { Value = 3, Lists = new[] { new List<int> { 1 } } },
                        Arrays = new[] { new Dictionary<string, List<int?>> { ["k"] = new List<int?> { null, 2 } } },
                        MaybePair = (1, new List<string> { "n" }),
                        Jagged = new[] { new[] { 1, 2 }, new int[0] },
                    },
                    new Tuples { Pair = (1, "a"), Named = (2, "b"), Long = (1, 2, 3, 4, 5, 6, 7, 8, 9), Points = new List<(string, double)> { ("p", 0.5) } },
                };
            }
        }

        [Payload(typeof(Holder))]
        [Payload(typeof(TagList))]
        [Payload(typeof(Included))]
        [Payload(typeof(PrivateConstructed))]
        [Payload(typeof(Strict))]
        [Payload(typeof(Enums))]
        [Payload(typeof(GenericInit<int>))]
        [Payload(typeof(GenericInit<string>))]
        [Payload(typeof(FromGenBase))]
        [Payload(typeof(GenericStruct<long>))]
        [Payload(typeof(Keywords))]
        [Payload(typeof(Node))]
        [Payload(typeof(Scalars))]
        [Payload(typeof(Collections))]
        [Payload(typeof(Keys))]
        [Payload(typeof(Free))]
        [Payload(typeof(Tuples))]
        [Payload(typeof(Lookups))]
        [Payload(typeof(Outer<string>.Inner))]
        [PayloadOptions(NamingPolicy = PayloadNamingPolicy.POLICY, EnumsAsNumbers = NUMBERS)]
        public partial class Ctx : PayloadContext { }
        """;

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

/// <summary>A compiled copy of generated code, loaded into a collectible context.</summary>
internal sealed class Compiled : IDisposable
{
    private readonly System.Runtime.Loader.AssemblyLoadContext _context;

    private Compiled(System.Runtime.Loader.AssemblyLoadContext context, Assembly assembly)
    {
        _context = context;
        Assembly = assembly;
        Context = (PayloadContext)assembly.GetType("Parity.Ctx")!.GetProperty("Default")!.GetValue(null)!;
    }

    public Assembly Assembly { get; }

    public PayloadContext Context { get; }

    public static Compiled Load(string source, string policy, bool enumsAsNumbers)
    {
        var text = source.Replace("POLICY", policy, StringComparison.Ordinal).Replace("NUMBERS", enumsAsNumbers ? "true" : "false", StringComparison.Ordinal);
        var output = GeneratorDriverHelper.Run(text);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        var (context, assembly) = GeneratorDriverHelper.Load(output.Compilation);
        return new Compiled(context, assembly);
    }

    public void Dispose() => _context.Unload();
}
