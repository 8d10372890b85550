using System.Diagnostics.CodeAnalysis;
#pragma warning disable CA1051 // Public fields are payload members on purpose.
#pragma warning disable CA1720 // Member names mirror the type they hold.
using System.Text.Json.Serialization;

namespace NativeAotPersistence.Tests.Payloads;

public enum Status
{
    Pending,
    Active = 5,
    [JsonStringEnumMemberName("done-ish")]
    Done = 10,
}

[Flags]
public enum Permissions : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
}

public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice);

public sealed class OrderState
{
    public Guid Id { get; set; }

    public string? CustomerName { get; set; }

    public List<OrderLine> Lines { get; set; } = [];

    public Dictionary<string, string>? Tags { get; set; }

    public Status Status { get; set; }

    public Status? PreviousStatus { get; set; }

    public Permissions Permissions { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTime? ShippedAt { get; set; }

    public TimeSpan Timeout { get; set; }

    public byte[]? Signature { get; set; }

    public long Big;

    public double Ratio;

    public int[]? Numbers { get; init; }

    public IReadOnlyList<string>? Notes { get; init; }

    public IReadOnlyDictionary<string, int>? Counters { get; set; }

    public IEnumerable<int>? Lazy { get; set; }

    public IList<float>? Floats { get; set; }

    public ICollection<bool>? Flags { get; set; }

    public IDictionary<string, OrderLine?>? LinesByKey { get; set; }

    public int Computed => Lines?.Count ?? 0;
}

public sealed record TreeNode(string Name, List<TreeNode> Children, TreeNode? Parent = null);

public struct Point
{
    public int X;

    public int Y;

    public double? Z { get; set; }
}

public readonly record struct Money(decimal Amount, string Currency);

public class Animal
{
    public string Name { get; set; } = "";

    public virtual int Legs { get; set; }
}

public class Dog : Animal
{
    [JsonPropertyOrder(-1)]
    public bool GoodBoy { get; set; }

    public override int Legs { get; set; } = 4;

    public string Breed = "mixed";
}

public sealed class Annotated
{
    [JsonPropertyName("custom_name")]
    public string Renamed { get; set; } = "";

    [JsonIgnore]
    public string Secret { get; set; } = "hidden";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OnlyWhenSet { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int OnlyWhenNonZero { get; set; }

    [JsonRequired]
    public int MustHave { get; set; }

    public required string AlsoRequired { get; init; }

    public List<int> WithInitializer { get; init; } = [1, 2, 3];

    [JsonPropertyOrder(10)]
    public string Last { get; set; } = "";

    [JsonPropertyOrder(-10)]
    public string First { get; set; } = "";
}

public sealed class WithConstructor
{
    [JsonConstructor]
    public WithConstructor(int id, string label = "none")
    {
        Id = id;
        Label = label;
    }

    public WithConstructor(string unused)
    {
        Label = unused;
    }

    public int Id { get; }

    public string Label { get; }

    public string? Extra { get; set; }
}

public sealed class SetsRequired
{
    [SetsRequiredMembers]
    public SetsRequired()
    {
        Name = "default";
    }

    public required string Name { get; set; }
}

public sealed class Outer
{
    public Inner Child { get; set; } = new();

    public sealed class Inner
    {
        public string Value { get; set; } = "";

        public Inner? Next { get; set; }
    }
}

public sealed class Extremes
{
    public long MinLong { get; set; } = long.MinValue;

    public ulong MaxULong { get; set; } = ulong.MaxValue;

    public double MaxDouble { get; set; } = double.MaxValue;

    public float MinFloat { get; set; } = float.MinValue;

    public decimal MaxDecimal { get; set; } = decimal.MaxValue;

    public short Short { get; set; } = short.MinValue;

    public ushort UShort { get; set; } = ushort.MaxValue;

    public sbyte SByte { get; set; } = sbyte.MinValue;

    public byte Byte { get; set; } = byte.MaxValue;

    public uint UInt { get; set; } = uint.MaxValue;

    public string Text { get; set; } = "quote \" backslash \\ <tag> & 'apos' \u00e9\u4e2d\U0001F600 \t\n\u0001";
}

[Payload(typeof(OrderState))]
[Payload(typeof(TreeNode))]
[Payload(typeof(Point))]
[Payload(typeof(Money))]
[Payload(typeof(Dog))]
[Payload(typeof(Annotated))]
[Payload(typeof(WithConstructor))]
[Payload(typeof(SetsRequired))]
[Payload(typeof(Outer))]
[Payload(typeof(Extremes))]
[Payload(typeof(List<OrderLine>))]
[Payload(typeof(Dictionary<string, List<Point>>))]
[Payload(typeof(int))]
[Payload(typeof(Status[]))]
internal sealed partial class CamelPayloads : PayloadContext
{
}

[Payload(typeof(OrderState))]
[Payload(typeof(TreeNode))]
[Payload(typeof(Dog))]
[Payload(typeof(Extremes))]
[PayloadOptions(NamingPolicy = PayloadNamingPolicy.PascalCase)]
internal sealed partial class PascalPayloads : PayloadContext
{
}

[Payload(typeof(OrderState))]
[Payload(typeof(TreeNode))]
[Payload(typeof(Dog))]
[Payload(typeof(Extremes))]
[PayloadOptions(NamingPolicy = PayloadNamingPolicy.SnakeCase)]
internal sealed partial class SnakePayloads : PayloadContext
{
}

[Payload(typeof(OrderState))]
[Payload(typeof(TreeNode))]
[Payload(typeof(Dog))]
[Payload(typeof(Extremes))]
[PayloadOptions(NamingPolicy = PayloadNamingPolicy.KebabCase, EnumsAsNumbers = true)]
internal sealed partial class KebabNumberPayloads : PayloadContext
{
}
