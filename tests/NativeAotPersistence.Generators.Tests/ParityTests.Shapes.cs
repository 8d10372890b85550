namespace NativeAotPersistence.Generators.Tests;

/// <summary>The shapes of the parity suite, and the samples of each, as one source compiled with the generator.</summary>
public sealed partial class ParityTests
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
            public KeyValuePair<string, int> Pair2 { get; set; }
            public List<KeyValuePair<int, List<string>?>>? Pairs { get; set; }
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
                    new Tuples { Pair = (1, "a"), Named = (2, "b"), Long = (1, 2, 3, 4, 5, 6, 7, 8, 9), Points = new List<(string, double)> { ("p", 0.5) }, Pair2 = new("k", 1), Pairs = new() { new(1, null), new(2, new List<string> { "x" }) } },
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
}
