using System.Runtime.CompilerServices;
using System.Text;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// The generated text for representative inputs, compared exactly with <c>Snapshots/*.verified.txt</c>.
/// Set <c>UPDATE_SNAPSHOTS=1</c> to rewrite the files after an intended change, then review the diff.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Records_lists_and_a_named_root()
    {
        Verify("""
            using System.Collections.Generic;
            using NativeAotPersistence;

            namespace Shop
            {
                public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice);

                public sealed class OrderState
                {
                    public System.Guid Id { get; set; }
                    public List<OrderLine> Lines { get; set; } = new();
                    public string? Note { get; set; }
                    public System.DateTimeOffset CreatedAt { get; set; }
                }

                [Payload(typeof(OrderState))]
                [Payload(typeof(List<OrderLine>))]
                [Payload(typeof(Billing.OrderState), PropertyName = "BillingOrderState")]
                internal partial class AppPayloads : PayloadContext { }
            }

            namespace Shop.Billing
            {
                public struct OrderState
                {
                    public long Cents;
                    public bool Paid;
                }
            }
            """);
    }

    [Fact]
    public void Enums_as_strings_and_numbers()
    {
        Verify("""
            using NativeAotPersistence;

            namespace Flags
            {
                public enum Color { Red, Green = 5, Blue = 10 }

                [System.Flags]
                public enum Access : byte { None = 0, Read = 1, Write = 2 }

                public sealed class Settings
                {
                    public Color Color { get; set; }
                    public Color? Fallback { get; set; }
                    public Access Access { get; set; }
                }

                [Payload(typeof(Settings))]
                [PayloadOptions(NamingPolicy = PayloadNamingPolicy.SnakeCase)]
                internal partial class StringEnums : PayloadContext { }

                [Payload(typeof(Settings))]
                [PayloadOptions(NamingPolicy = PayloadNamingPolicy.PascalCase, EnumsAsNumbers = true)]
                internal partial class NumberEnums : PayloadContext { }
            }
            """);
    }

    [Fact]
    public void Attributes_constructors_required_and_init_members()
    {
        Verify("""
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using NativeAotPersistence;

            public sealed class Profile
            {
                [JsonConstructor]
                public Profile(int id, string name = "anonymous") { Id = id; Name = name; }

                public int Id { get; }
                public string Name { get; }

                [JsonPropertyName("e-mail")]
                public string? Email { get; set; }

                [JsonIgnore]
                public string? Password { get; set; }

                [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
                public string? Nickname { get; set; }

                [JsonRequired]
                public int Version { get; set; }

                public required string Region { get; init; }

                public List<string> Roles { get; init; } = new();

                [JsonPropertyOrder(-1)]
                public bool Active { get; set; }
            }

            [Payload(typeof(Profile))]
            internal partial class ProfilePayloads : PayloadContext { }
            """);
    }

    [Fact]
    public void Dictionaries_interfaces_nullables_and_recursion()
    {
        Verify("""
            using System;
            using System.Collections.Generic;
            using NativeAotPersistence;

            namespace Graph;

            public sealed record Node(string Name, IReadOnlyList<Node> Children, Node? Parent = null);

            public readonly record struct Sample(double Value, TimeSpan? Elapsed, byte[]? Raw);

            public sealed class Bag
            {
                public Dictionary<string, Node>? ByName { get; set; }
                public IReadOnlyDictionary<string, int[]>? Numbers { get; set; }
                public IDictionary<string, Sample?>? Samples { get; set; }
                public IEnumerable<Guid>? Ids { get; set; }
                public ICollection<DateTime?>? Dates { get; set; }
                public IList<ulong>? Big { get; set; }
            }

            [Payload(typeof(Bag))]
            [Payload(typeof(int))]
            [Payload(typeof(Sample?))]
            [PayloadOptions(NamingPolicy = PayloadNamingPolicy.KebabCase)]
            public partial class GraphPayloads : PayloadContext { }
            """);
    }

    [Fact]
    public void Escaped_names_keywords_accessors_and_keys()
    {
        Verify("""
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using NativeAotPersistence;

            namespace Edge;

            public enum Mode { Off, [JsonStringEnumMemberName("on \"now\"")] On }

            public class Box<T> { public T? Value { get; init; } }

            public sealed class Tricky : Box<int>
            {
                public int @class { get; set; }
                [JsonPropertyName("a\"b\\c")] public string Quoted { get; set; } = "";
                [JsonPropertyName("ключ\n")] public int Unicode { get; set; }
                [JsonInclude] private long _hidden;
                public long Hidden() => _hidden;
                public void Hide(long value) => _hidden = value;
                [JsonInclude] public string Name { get; private set; } = "";
                public Dictionary<Mode, int>? ByMode { get; set; }
                public Dictionary<int, string>? ById { get; set; }
                public HashSet<string>? Tags { get; set; }
            }

            [Payload(typeof(Tricky))]
            public partial class EdgePayloads : PayloadContext { }
            """);
    }

    private static void Verify(string source, [CallerMemberName] string name = "", [CallerFilePath] string file = "")
    {
        var output = GeneratorDriverHelper.Run(source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);

        var text = new StringBuilder();
        foreach (var (hint, generated) in output.Sources)
        {
            text.Append("//// ").Append(hint).Append('\n').Append(generated.ReplaceLineEndings("\n"));
        }

        var path = Path.Combine(Path.GetDirectoryName(file)!, "Snapshots", name + ".verified.txt");
        if (Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1" || !File.Exists(path))
        {
            File.WriteAllText(path, text.ToString());
            Assert.Fail($"Snapshot {name} was written to {path}; review it and run the tests again.");
        }

        Assert.Equal(File.ReadAllText(path), text.ToString());
    }
}
