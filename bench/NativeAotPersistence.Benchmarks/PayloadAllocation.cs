using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace NativeAotPersistence.Benchmarks;

/// <summary>A few tens of KB of JSON: strings, nested lists, a dictionary and an enum.</summary>
public sealed record MediumGraph(
    string Id,
    string Owner,
    GraphState State,
    List<MediumLine> Lines,
    Dictionary<string, string> Attributes,
    List<string> Tags,
    List<List<int>> Matrix);

public sealed record MediumLine(string Sku, int Quantity, decimal Price, string Description, GraphState State);

public enum GraphState
{
    Draft,
    Active,
    Closed,
}

[Payload(typeof(List<int>))]
[Payload(typeof(int[]))]
[Payload(typeof(SmallPayload))]
[Payload(typeof(MediumGraph))]
internal sealed partial class AllocationPayloads : PayloadContext;

/// <summary>System.Text.Json's source generator with the reference options of the payload tests (camelCase, fields, enums as strings).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, IncludeFields = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(SmallPayload))]
[JsonSerializable(typeof(MediumGraph))]
[JsonSerializable(typeof(string))]
internal sealed partial class AllocationJsonContext : JsonSerializerContext;

/// <summary>The values each payload shape is measured with; built once, deterministic.</summary>
internal static class AllocationSamples
{
    public const int IntCount = 1_000_000;

    /// <summary>Spread over the whole range (most are 9 to 11 characters), as a list of ids or readings would be.</summary>
    public static readonly List<int> IntList = CreateInts();

    public static readonly int[] IntArray = [.. IntList];

    public static readonly MediumGraph Medium = new(
        "graph-2026-11-000042",
        "customer-7f3a9c",
        GraphState.Active,
        [.. Enumerable.Range(1, 150).Select(i => new MediumLine(
            $"SKU-{i:00000}", i, 9.99m * i, $"Line item number {i}, \"quoted\" and long enough to matter <b>", (GraphState)(i % 3)))],
        Enumerable.Range(1, 100).ToDictionary(i => $"attribute-{i:000}", i => $"value {i} of the attribute, with ünïcödé"),
        [.. Enumerable.Range(1, 100).Select(i => $"tag-{i}")],
        [.. Enumerable.Range(1, 20).Select(r => Enumerable.Range(r * 1000, 50).ToList())]);

    /// <summary>1 MiB of ASCII text: one JSON string of a little over 1 MB.</summary>
    public static readonly string MegabyteString = CreateString(1 << 20);

    private static List<int> CreateInts()
    {
        var random = new Random(42);
        var list = new List<int>(IntCount);
        for (var i = 0; i < IntCount; i++)
        {
            list.Add(random.Next(int.MinValue, int.MaxValue));
        }

        return list;
    }

    private static string CreateString(int length)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            text.Append("The quick brown fox jumps over the lazy dog. ");
        }

        return text.ToString(0, length);
    }
}

/// <summary>
/// One payload shape, serialized by the generated serializer and by System.Text.Json's source generator, to a new
/// byte[] and into a reused <see cref="IBufferWriter{T}"/>.
/// </summary>
internal sealed class AllocationShape<T>(string name, int iterations, T value, PayloadTypeInfo<T> ours, JsonTypeInfo<T> theirs) : IAllocationShape
{
    private readonly ArrayBufferWriter<byte> _destination = new();
    private Utf8JsonWriter? _writer;

    public string Name => name;

    public int Iterations => iterations;

    public int JsonBytes { get; } = ours.Serialize(value).Length;

    public void Verify()
    {
        if (!ours.Serialize(value).AsSpan().SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(value, theirs)))
        {
            throw new InvalidOperationException($"{name}: the generated and System.Text.Json outputs differ; the comparison would be unfair.");
        }
    }

    public byte[] OursToArray() => ours.Serialize(value);

    public byte[] TheirsToArray() => JsonSerializer.SerializeToUtf8Bytes(value, theirs);

    public int OursToWriter()
    {
        _destination.ResetWrittenCount();
        ours.Serialize(_destination, value);
        return _destination.WrittenCount;
    }

    public int TheirsToWriter()
    {
        _destination.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_destination);
        }
        else
        {
            _writer.Reset(_destination);
        }

        JsonSerializer.Serialize(_writer, value, theirs);
        return _destination.WrittenCount;
    }
}

/// <summary>What the allocation table and the benchmarks run on each shape.</summary>
internal interface IAllocationShape
{
    string Name { get; }

    int Iterations { get; }

    int JsonBytes { get; }

    void Verify();

    byte[] OursToArray();

    byte[] TheirsToArray();

    int OursToWriter();

    int TheirsToWriter();
}

/// <summary>
/// Bytes allocated per serialization, the generated serializer against System.Text.Json's source generator, on payload
/// shapes from ~200 bytes to ~11 MB. `--payload-alloc` prints the same figures as a table in seconds (allocated bytes
/// are deterministic, unlike timings).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PayloadAllocationBenchmarks
{
    private IAllocationShape _shape = null!;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    public static IEnumerable<string> Shapes => PayloadAlloc.Shapes().Select(s => s.Name);

    [GlobalSetup]
    public void Setup()
    {
        _shape = PayloadAlloc.Shapes().Single(s => s.Name == Shape);
        _shape.Verify();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("to byte[]")]
    public byte[] SystemTextJson_ToArray() => _shape.TheirsToArray();

    [Benchmark, BenchmarkCategory("to byte[]")]
    public byte[] Generated_ToArray() => _shape.OursToArray();

    [Benchmark(Baseline = true), BenchmarkCategory("to IBufferWriter")]
    public int SystemTextJson_ToWriter() => _shape.TheirsToWriter();

    [Benchmark, BenchmarkCategory("to IBufferWriter")]
    public int Generated_ToWriter() => _shape.OursToWriter();
}

/// <summary>`--payload-alloc`: the allocation table of <see cref="PayloadAllocationBenchmarks"/> without BenchmarkDotNet.</summary>
internal static class PayloadAlloc
{
    public static IAllocationShape[] Shapes() =>
    [
        new AllocationShape<List<int>>("List<int> 1e6", 10, AllocationSamples.IntList, AllocationPayloads.Default.ListInt32, AllocationJsonContext.Default.ListInt32),
        new AllocationShape<int[]>("int[] 1e6", 10, AllocationSamples.IntArray, AllocationPayloads.Default.Int32Array, AllocationJsonContext.Default.Int32Array),
        new AllocationShape<SmallPayload>("small record", 10_000, Samples.Small, AllocationPayloads.Default.SmallPayload, AllocationJsonContext.Default.SmallPayload),
        new AllocationShape<MediumGraph>("medium graph", 1_000, AllocationSamples.Medium, AllocationPayloads.Default.MediumGraph, AllocationJsonContext.Default.MediumGraph),
        new AllocationShape<string>("1 MB string", 50, AllocationSamples.MegabyteString, PayloadResolver.Resolve<string>(AllocationPayloads.Default), AllocationJsonContext.Default.String),
    ];

    public static void Run()
    {
        Console.WriteLine("Bytes allocated per serialization on this thread (GC.GetAllocatedBytesForCurrentThread, after a warm-up).");
        Console.WriteLine("ours = PayloadTypeInfo<T>.Serialize; STJ = System.Text.Json source generator (SerializeToUtf8Bytes / Serialize(Utf8JsonWriter)).");
        Console.WriteLine();
        Console.WriteLine($"| {"shape",-14} | {"JSON bytes",12} | {"ours byte[]",12} | {"STJ byte[]",12} | {"ours/STJ",8} | {"ours writer",11} | {"STJ writer",10} |");
        Console.WriteLine($"|{new string('-', 16)}|{new string('-', 13)}:|{new string('-', 13)}:|{new string('-', 13)}:|{new string('-', 9)}:|{new string('-', 12)}:|{new string('-', 11)}:|");
        foreach (var shape in Shapes())
        {
            shape.Verify();
            var ours = Measure(shape.Iterations, () => shape.OursToArray());
            var theirs = Measure(shape.Iterations, () => shape.TheirsToArray());
            var oursWriter = Measure(shape.Iterations, () => shape.OursToWriter());
            var theirsWriter = Measure(shape.Iterations, () => shape.TheirsToWriter());
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {shape.Name,-14} | {shape.JsonBytes,12:N0} | {ours,12:N0} | {theirs,12:N0} | {(double)ours / theirs,8:0.00} | {oursWriter,11:N0} | {theirsWriter,10:N0} |"));
        }
    }

    /// <summary>Bytes allocated per call on this thread, after a warm-up of as many calls (pools filled, code tiered up).</summary>
    private static long Measure<TResult>(int iterations, Func<TResult> action)
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
}
