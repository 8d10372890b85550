using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace NativeAotPersistence.Benchmarks;

/// <summary>
/// The generated serializer of a ~1 KB payload against System.Text.Json's own source generator on the same type, both
/// writing into a reused buffer and reading from a UTF-8 span.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PayloadBenchmarks
{
    private readonly ArrayBufferWriterLite _buffer = new();
    private Utf8JsonWriter _writer = null!;
    private byte[] _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        _writer = new Utf8JsonWriter(_buffer);
        _json = BenchPayloads.Default.LargePayload.Serialize(Samples.Large);
        var stj = JsonSerializer.SerializeToUtf8Bytes(Samples.Large, BenchJsonContext.Default.LargePayload);
        if (!_json.AsSpan().SequenceEqual(stj))
        {
            throw new InvalidOperationException("The generated and System.Text.Json outputs differ; the comparison would be unfair.");
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("write 1 KB")]
    public int SystemTextJson_Write()
    {
        _buffer.Clear();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, Samples.Large, BenchJsonContext.Default.LargePayload);
        return _buffer.WrittenSpan.Length;
    }

    [Benchmark, BenchmarkCategory("write 1 KB")]
    public int Generated_Write()
    {
        _buffer.Clear();
        _writer.Reset(_buffer);
        BenchPayloads.Default.LargePayload.Write(_writer, Samples.Large);
        _writer.Flush();
        return _buffer.WrittenSpan.Length;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("read 1 KB")]
    public LargePayload? SystemTextJson_Read() => JsonSerializer.Deserialize(_json, BenchJsonContext.Default.LargePayload);

    [Benchmark, BenchmarkCategory("read 1 KB")]
    public LargePayload Generated_Read() => BenchPayloads.Default.LargePayload.Deserialize(_json);
}
