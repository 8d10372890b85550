using NativeAotPersistence.Tests.Payloads;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// Compiles generated code in memory, loads it into a collectible context and checks it against System.Text.Json with
/// the reference options, both directions, for each naming policy.
/// </summary>
public sealed class RoundTripTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using NativeAotPersistence;

        namespace RoundTrip;

        public enum Kind { Alpha, Beta = 3, Gamma = -2 }

        public sealed record Line(string Sku, int Quantity, decimal Price);

        public sealed record Node(string Name, List<Node> Children, Node? Parent = null);

        public struct Vector { public double X; public double Y; public float? Z { get; set; } }

        public sealed class Everything
        {
            public string? Text { get; set; }
            public long LongValue;
            public double DoubleValue;
            public decimal DecimalValue { get; set; }
            public ulong Unsigned { get; set; }
            public Kind Kind { get; set; }
            public Kind? MaybeKind { get; set; }
            public int[]? Numbers { get; set; }
            public List<Line>? Lines { get; set; }
            public Dictionary<string, Line?>? ByName { get; set; }
            public IReadOnlyList<Kind>? Kinds { get; set; }
            public IReadOnlyDictionary<string, List<int>>? Groups { get; set; }
            public Node? Tree { get; set; }
            public Vector Position { get; set; }
            public Vector? MaybePosition { get; set; }
            public byte[]? Bytes { get; set; }
            public DateTime When { get; set; }
            public DateTimeOffset WhenOffset { get; set; }
            public TimeSpan Duration { get; set; }
            public Guid Id { get; set; }
            public bool Flag { get; set; }
            public string SnakeCASEMixed_Name { get; set; } = "";
        }

        public static class Samples
        {
            public static object?[] All()
            {
                var leaf = new Node("leaf", new List<Node>());
                return new object?[]
                {
                    new Everything(),
                    new Everything
                    {
                        Text = "héllo \"wörld\" \\ / <b> & \u0001 \U0001F600 漢字",
                        LongValue = long.MinValue,
                        DoubleValue = double.MaxValue,
                        DecimalValue = decimal.MaxValue,
                        Unsigned = ulong.MaxValue,
                        Kind = Kind.Gamma,
                        MaybeKind = Kind.Beta,
                        Numbers = new[] { int.MinValue, 0, int.MaxValue },
                        Lines = new List<Line> { new("a", 1, -0.5m), new("", 0, decimal.MinValue) },
                        ByName = new Dictionary<string, Line?> { ["x"] = new Line("x", 2, 3m), ["nothing"] = null, ["ключ \"q\""] = null },
                        Kinds = new List<Kind> { Kind.Alpha, (Kind)42 },
                        Groups = new Dictionary<string, List<int>> { ["g"] = new List<int> { 1, 2 }, ["empty"] = new List<int>() },
                        Tree = new Node("root", new List<Node> { leaf, new Node("b", new List<Node>(), leaf) }),
                        Position = new Vector { X = double.Epsilon, Y = -1e300, Z = float.MaxValue },
                        MaybePosition = new Vector(),
                        Bytes = new byte[] { 0, 255, 128 },
                        When = new DateTime(2030, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(1234567),
                        WhenOffset = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.FromMinutes(-150)),
                        Duration = TimeSpan.MinValue,
                        Id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
                        Flag = true,
                        SnakeCASEMixed_Name = "n",
                    },
                    new Everything { Numbers = new int[0], Lines = new List<Line>(), ByName = new Dictionary<string, Line?>(), Kinds = new Kind[0], Bytes = new byte[0] },
                    new Node("alone", new List<Node>()),
                    new List<Line> { new("z", 9, 9m) },
                    new List<Line>(),
                };
            }
        }

        [Payload(typeof(Everything))]
        [Payload(typeof(Node))]
        [Payload(typeof(List<Line>))]
        [PayloadOptions(NamingPolicy = PayloadNamingPolicy.POLICY, EnumsAsNumbers = NUMBERS)]
        public partial class Ctx : PayloadContext { }
        """;

    public static readonly TheoryData<string, bool> Cases = new()
    {
        { "CamelCase", false },
        { "PascalCase", false },
        { "SnakeCase", false },
        { "KebabCase", false },
        { "CamelCase", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_matches_System_Text_Json(string policy, bool enumsAsNumbers)
    {
        var source = Source.Replace("POLICY", policy, StringComparison.Ordinal).Replace("NUMBERS", enumsAsNumbers ? "true" : "false", StringComparison.Ordinal);
        var output = GeneratorDriverHelper.Run(source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);

        var (loadContext, assembly) = GeneratorDriverHelper.Load(output.Compilation);
        try
        {
            var context = (PayloadContext)assembly.GetType("RoundTrip.Ctx")!.GetProperty("Default")!.GetValue(null)!;
            var options = ReferenceOptions.For(Enum.Parse<PayloadNamingPolicy>(policy), enumsAsNumbers);
            var samples = (object?[])assembly.GetType("RoundTrip.Samples")!.GetMethod("All")!.Invoke(null, null)!;
            foreach (var sample in samples)
            {
                var type = sample!.GetType();
                var info = context.GetTypeInfo(type);
                Assert.NotNull(info);
                var check = typeof(RoundTripTests).GetMethod(nameof(Check), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
                try
                {
                    check.Invoke(null, [info, sample, options]);
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    throw e.InnerException;
                }
            }
        }
        finally
        {
            loadContext.Unload();
        }
    }

    private static void Check<T>(PayloadTypeInfo<T> info, T value, JsonSerializerOptions options)
    {
        var theirs = JsonSerializer.SerializeToUtf8Bytes(value, options);
        var ours = info.Serialize(value);
        Assert.Equal(Encoding.UTF8.GetString(theirs), Encoding.UTF8.GetString(ours));
        Assert.Equal(Encoding.UTF8.GetString(theirs), Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(info.Deserialize(theirs), options)));
        Assert.Equal(Encoding.UTF8.GetString(ours), Encoding.UTF8.GetString(info.Serialize(JsonSerializer.Deserialize<T>(ours, options)!)));
    }
}
