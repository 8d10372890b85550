using Microsoft.CodeAnalysis;
using NativeAotPersistence.Generators.Diagnostics;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// The examples of docs/diagnostics/: each page's example (the region <c>NAPxxxx-example</c>, word for word the page's
/// block, as the core tests' DocSnippetTests checks) reports that diagnostic, and a fix shown (<c>NAPxxxx-fix</c>)
/// reports nothing. What the page leaves out (the payload types, a context, usings) is around the region.
/// </summary>
public sealed class DocDiagnosticsTests
{
    internal const string Usings = """
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Threading.Tasks;
        using NativeAotPersistence;

        """;

    public static TheoryData<string, string> Examples => new()
    {
        {
            "NAP0001", """
            public sealed record OrderState(string Id);
            // snippet: NAP0001-example
            [Payload(typeof(OrderState))]
            internal class AppPayloads : PayloadContext { }   // NAP0001
            // end snippet
            """
        },
        {
            "NAP0002", """
            public sealed record OrderState(string Id);
            // snippet: NAP0002-example
            [Payload(typeof(OrderState))]
            internal partial class AppPayloads { }   // NAP0002
            // end snippet
            """
        },
        {
            "NAP0003", """
            // snippet: NAP0003-example
            public sealed class OrderState
            {
                public object? Anything { get; set; }          // NAP0003
                public IReadOnlySet<int>? Tags { get; set; }   // NAP0003: System.Text.Json cannot read it back
            }
            // end snippet
            [Payload(typeof(OrderState))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
        {
            "NAP0004", """
            // snippet: NAP0004-example
            public sealed class Pair
            {
                public Pair(int a) { A = a; }
                public Pair(int a, int b) { A = a; B = b; }   // NAP0004: two public constructors
                public int A { get; }
                public int B { get; }
            }
            // end snippet
            [Payload(typeof(Pair))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
        {
            "NAP0005", """
            public sealed record OrderState(string Id);
            // snippet: NAP0005-example
            [Payload(typeof(OrderState))]
            [Payload(typeof(OrderState))]   // NAP0005
            internal partial class AppPayloads : PayloadContext { }
            // end snippet
            """
        },
        {
            "NAP0006", """
            namespace Billing { public sealed record OrderState(string InvoiceId); }
            namespace Shipping { public sealed record OrderState(string Carrier); }
            // snippet: NAP0006-example
            [Payload(typeof(Billing.OrderState))]
            [Payload(typeof(Shipping.OrderState))]   // NAP0006
            internal partial class AppPayloads : PayloadContext { }
            // end snippet
            """
        },
        {
            "NAP0007", """
            // snippet: NAP0007-example
            public sealed class Item
            {
                public string? Name { get; set; }
                [JsonPropertyName("name")] public string? Title { get; set; }   // NAP0007 with CamelCase
            }
            // end snippet
            [Payload(typeof(Item))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
        {
            "NAP0008", """
            public sealed class MyUnitConverter : JsonConverter<double>
            {
                public override double Read(ref Utf8JsonReader reader, System.Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();
                public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
            }
            // snippet: NAP0008-example
            public sealed class Reading
            {
                [JsonConverter(typeof(MyUnitConverter))] public double Value { get; set; }   // NAP0008
            }
            // end snippet
            [Payload(typeof(Reading))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
        {
            "NAP0009", """
            // snippet: NAP0009-example
            [JsonDerivedType(typeof(Circle), "circle")]   // NAP0009
            public abstract class Shape { }
            // end snippet
            public sealed class Circle : Shape { public double Radius { get; set; } }
            [Payload(typeof(Shape))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
        {
            "NAP0010", """
            // snippet: NAP0010-example
            public sealed class Doc
            {
                [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }   // NAP0010
            }
            // end snippet
            [Payload(typeof(Doc))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
        {
            "NAP0011", """
            public sealed record Unregistered();
            public sealed record Registered(int Id);
            [Payload(typeof(Registered))]
            internal partial class AppPayloads : PayloadContext { }
            internal static class Calls
            {
                public static async Task Store(ICacheProvider cache)
                {
                    // snippet: NAP0011-example
                    await cache.SetAsync("k", new Unregistered());   // NAP0011
                    // end snippet
                }
            }
            """
        },
        {
            "NAP0012", """
            public sealed record OrderState(string Id);
            // snippet: NAP0012-example
            public partial class Outer
            {
                [Payload(typeof(OrderState))]
                internal partial class AppPayloads : PayloadContext { }   // NAP0012
            }
            // end snippet
            """
        },
        {
            "NAP0013", """
            // snippet: NAP0013-example
            public sealed class Invoice
            {
                [JsonNumberHandling(JsonNumberHandling.WriteAsString)]   // NAP0013
                public decimal Total { get; set; }
            }
            // end snippet
            [Payload(typeof(Invoice))]
            internal partial class AppPayloads : PayloadContext { }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void EachPagesExample_ReportsItsDiagnostic(string id, string source)
    {
        Assert.Contains(Reported(source), d => d.Id == id);
    }

    [Fact]
    public void TheFixesShown_ReportNothing_AndCompile()
    {
        var output = GeneratorDriverHelper.Run(Usings + """
            public sealed record OrderState(string Id);
            // snippet: NAP0001-fix
            [Payload(typeof(OrderState))]
            internal partial class AppPayloads : PayloadContext { }
            // end snippet
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.Compilation.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error));
    }

    internal static IReadOnlyList<Diagnostic> Reported(string source)
    {
        var output = GeneratorDriverHelper.Run(Usings + source);
        return [.. output.Diagnostics, .. GeneratorDriverHelper.Analyze(output.Compilation, new PayloadUsageAnalyzer())];
    }
}
