using System.Text.Json.Serialization;

namespace NativeAotPersistence.Benchmarks;

/// <summary>About 200 bytes of JSON.</summary>
public sealed record SmallPayload(string Id, string Device, double Value, long Sequence, DateTimeOffset At, bool Ok, string Note);

/// <summary>About 1 KB of JSON.</summary>
public sealed record LargePayload(string Id, string Customer, List<OrderLine> Lines, Dictionary<string, string> Tags, decimal Total, DateTimeOffset CreatedAt);

public sealed record OrderLine(string Sku, int Quantity, decimal Price, string Description);

[Payload(typeof(SmallPayload))]
[Payload(typeof(LargePayload))]
internal sealed partial class BenchPayloads : PayloadContext;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SmallPayload))]
[JsonSerializable(typeof(LargePayload))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;

internal static class Samples
{
    public static readonly SmallPayload Small = new(
        "reading-000042", "sensor-kitchen-01", 21.375, 42, new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero), true,
        "calibrated on site; offset applied; within tolerance of the reference probe");

    public static readonly LargePayload Large = new(
        "order-2026-11-000042",
        "customer-7f3a9c",
        [.. Enumerable.Range(1, 6).Select(i => new OrderLine($"SKU-{i:0000}", i, 9.99m * i, $"Line item number {i} with a description long enough to matter"))],
        new Dictionary<string, string> { ["channel"] = "web", ["region"] = "eu-west", ["priority"] = "normal", ["campaign"] = "black-friday-2026" },
        209.79m,
        new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
}
