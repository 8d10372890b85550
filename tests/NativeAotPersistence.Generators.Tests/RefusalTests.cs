using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// What System.Text.Json would store in another shape, or cannot read back, is a compile-time error that says what to do;
/// and an error a user suppresses never turns into silently dropped members: the refused type's serializer throws,
/// naming the diagnostic, on both write and read. Nothing the generated code needs is left out either, so a suppressed
/// error never breaks the build of the rest of the context.
/// </summary>
public sealed class RefusalTests
{
    public static readonly TheoryData<string, string, string, string> Cases = new()
    {
        {
            "NumberHandling", "NAP0013", "[JsonNumberHandling]",
            "public sealed class Refused { [JsonNumberHandling(JsonNumberHandling.WriteAsString)] public int X { get; set; } }"
        },
        {
            "PopulateHandling", "NAP0013", "[JsonObjectCreationHandling]",
            "public sealed class Refused { [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)] public List<int> X { get; } = new(); }"
        },
        {
            "NumberHandlingOnType", "NAP0013", "[JsonNumberHandling]",
            "[JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public sealed class Refused { public int X { get; set; } }"
        },
        {
            "WhenWritingNullOnValueType", "NAP0013", "WhenWritingDefault",
            "public sealed class Refused { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int X { get; set; } }"
        },
        {
            "EnumerableOnly", "NAP0003", "IEnumerable<T> but not ICollection<T>",
            "public sealed class Refused { public Numbers? X { get; set; } } public sealed class Numbers : IEnumerable<int> { public IEnumerator<int> GetEnumerator() { yield return 1; } System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator(); }"
        },
        {
            "ReadOnlySet", "NAP0003", "declare the member as ISet<T> or HashSet<T>",
            "public sealed class Refused { public IReadOnlySet<int>? X { get; set; } }"
        },
        {
            "CollectionWithoutConstructor", "NAP0003", "without a public parameterless constructor",
            "public sealed class Refused { public Fixed? X { get; set; } } public sealed class Fixed : List<int> { public Fixed(int capacity) : base(capacity) { } }"
        },
        {
            "UnsupportedMember", "NAP0003", "System.IO.Stream",
            "public sealed class Refused { public int Kept { get; set; } public System.IO.Stream? X { get; set; } }"
        },
        {
            "ObjectMember", "NAP0003", "JsonElement/JsonNode",
            "public sealed class Refused { public object? X { get; set; } }"
        },
        {
            "ConverterOnMember", "NAP0008", "[JsonConverter]",
            "public sealed class Refused { [JsonConverter(typeof(JsonStringEnumConverter))] public int X { get; set; } }"
        },
        {
            "ExtensionData", "NAP0010", "[JsonExtensionData]",
            "public sealed class Refused { public int X { get; set; } [JsonExtensionData] public Dictionary<string, System.Text.Json.JsonElement>? Extra { get; set; } }"
        },
        {
            "NameCollision", "NAP0007", "both map to the JSON property name",
            "public sealed class Refused { public int X { get; set; } [JsonPropertyName(\"x\")] public int Other { get; set; } }"
        },
        {
            "Polymorphic", "NAP0009", "[JsonDerivedType]",
            "[JsonDerivedType(typeof(Refused))] public class Refused { public int X { get; set; } }"
        },
        {
            "SeveralConstructors", "NAP0004", "several public constructors",
            "public sealed class Refused { public Refused(int x) { X = x; } public Refused(string s) { } public int X { get; } }"
        },
        {
            "IgnoredConstructorParameter", "NAP0004", "which is [JsonIgnore]d",
            "public sealed class Refused { public Refused(int x, int secret) { X = x; Secret = secret; } public int X { get; } [JsonIgnore] public int Secret { get; } }"
        },
        {
            "PrivateConstructorOfGenericType", "NAP0004", "its [JsonConstructor] constructor is private",
            "public sealed class Refused { public Box<int>? X { get; set; } } public sealed class Box<T> { [JsonConstructor] private Box(T value) { Value = value; } public T Value { get; } }"
        },
        {
            "CommaInFlagsName", "NAP0013", "holds a comma",
            "public sealed class Refused { public E X { get; set; } = E.A; } [System.Flags] public enum E { [JsonStringEnumMemberName(\"a,b\")] A = 1, B = 2 }"
        },
        {
            "EmptyEnumName", "NAP0013", "is empty, starts or ends with white space",
            "public sealed class Refused { public E X { get; set; } } public enum E { [JsonStringEnumMemberName(\"\")] A, B }"
        },
        {
            "PaddedEnumName", "NAP0013", "is empty, starts or ends with white space",
            "public sealed class Refused { public E X { get; set; } } public enum E { A, [JsonStringEnumMemberName(\" b\")] B }"
        },
        {
            "ParameterWithoutMember", "NAP0004", "matches no serialized property or field",
            "public sealed class Refused { public Refused(int y) { X = y; } public int X { get; } }"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_error_says_what_to_do_and_a_suppressed_one_refuses_the_type_at_run_time(string name, string id, string expected, string declarations)
    {
        var source = Source(declarations);

        // Reported once, as an error, with a message that names the problem.
        var output = GeneratorDriverHelper.Run(source);
        var diagnostic = Assert.Single(output.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(expected, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        // Suppressed (NoWarn, a .globalconfig): the code compiles cleanly, and the type refuses both ways instead of
        // storing fewer members than it has.
        var compilation = GeneratorDriverHelper.CreateCompilation(source);
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions([new(id, ReportDiagnostic.Suppress)]));
        GeneratorDriverHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var updated, out var remaining);
        Assert.Empty(remaining.Where(static d => !d.IsSuppressed && d.Severity != DiagnosticSeverity.Hidden));
        Assert.Empty(updated.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));

        var (context, assembly) = GeneratorDriverHelper.Load(updated);
        try
        {
            var payloads = (PayloadContext)assembly.GetType("Refusals.Ctx")!.GetProperty("Default")!.GetValue(null)!;
            var type = assembly.GetType("Refusals.Refused")!;
            var info = payloads.GetTypeInfo(type);
            Assert.NotNull(info);
            var write = Assert.Throws<NotSupportedException>(() => ParityTests.Invoke("Serialize", type, info, Sample(type)));
            Assert.Contains(id, write.Message, StringComparison.Ordinal);
            Assert.Contains("cannot be serialized", write.Message, StringComparison.Ordinal);
            var read = Assert.Throws<NotSupportedException>(() => ParityTests.Invoke("Deserialize", type, info, """{"x":{"value":1}}"""u8.ToArray()));
            Assert.Contains(id, read.Message, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
        }

        _ = name;
    }

    public static readonly TheoryData<string, string, string> RootCases = new()
    {
        { "typeof(Envelope<>)", "open generic type", "public sealed class Envelope<T> { public T? Value { get; set; } }" },
        { "typeof(Helpers)", "a static class has no instances", "public static class Helpers { public static int X => 1; }" },
        { "typeof(IShape)", "the interface 'Refusals.IShape' has no single type to create", "public interface IShape { int Sides { get; } }" },
    };

    /// <summary>A root that cannot be a payload gets its own accurate message, and no error inside the generated file.</summary>
    [Theory]
    [MemberData(nameof(RootCases))]
    public void A_root_that_cannot_be_a_payload_gets_its_own_message_and_no_compiler_error(string root, string expected, string declarations)
    {
        var source = $$"""
            using NativeAotPersistence;
            namespace Refusals;
            {{declarations}}
            [Payload({{root}})]
            public partial class Ctx : PayloadContext { }
            """;
        var output = GeneratorDriverHelper.Run(source);
        var diagnostic = Assert.Single(output.Diagnostics);
        Assert.Equal("NAP0003", diagnostic.Id);
        Assert.Contains(expected, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(output.CompilationProblems);
    }

    [Fact]
    public void A_dictionary_subclass_is_a_dictionary_with_no_diagnostic()
    {
        var output = GeneratorDriverHelper.Run(Source("public sealed class Refused { public Counts? X { get; set; } } public sealed class Counts : Dictionary<string, int> { }"));
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
    }

    private static string Source(string declarations) => $$"""
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using NativeAotPersistence;
        namespace Refusals;
        {{declarations}}
        [Payload(typeof(Refused))]
        public partial class Ctx : PayloadContext { }
        """;

    private static object? Sample(Type type)
    {
        var constructor = type.GetConstructors().OrderBy(static c => c.GetParameters().Length).First();
        return constructor.Invoke(constructor.GetParameters().Select(static p => p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray());
    }
}
