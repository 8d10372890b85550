using System.Globalization;
using System.Text;

namespace NativeAotPersistence.Scale;

/// <summary>The three projects under measurement, the same payload types in each.</summary>
internal enum Variant
{
    /// <summary>The payload types, a <c>PayloadContext</c> registering all of them, and our generator.</summary>
    Ours,

    /// <summary>The payload types and a System.Text.Json <c>JsonSerializerContext</c> registering all of them.</summary>
    Stj,

    /// <summary>The payload types only: what the types cost without any serializer.</summary>
    Baseline,
}

/// <summary>
/// Writes the throwaway projects: N payload types of about ten members each (deterministic for a given N), with a
/// realistic mix of member types, connected by references (each type refers to the next two in a binary tree, as an
/// object, a <c>List&lt;T&gt;</c> or a <c>Dictionary&lt;string,T&gt;</c>, plus random references further down), a
/// fifth of them positional records, some with public fields or init-only/required members.
/// </summary>
internal static class ScaleProjects
{
    private static readonly string[] Words =
    [
        "Name", "Title", "Count", "Total", "Amount", "Price", "Score", "Weight", "Status", "Created", "Updated", "Owner",
        "Region", "Code", "Label", "Note", "Version", "Sequence", "Enabled", "Archived", "Deadline", "Reference",
        "Quantity", "Ratio", "Balance", "Source", "Target", "Comment", "Rank", "Level", "Flag", "Checksum", "Started",
        "Finished", "Token", "Email", "Phone", "City", "Country", "Currency",
    ];

    public static string ProjectName(Variant variant) => variant switch
    {
        Variant.Ours => "Ours",
        Variant.Stj => "Stj",
        _ => "Baseline",
    };

    /// <summary>Writes the three projects into <paramref name="root"/> (which must lie outside the repository).</summary>
    public static void Write(string root, int types, string runtimeDll, string generatorDll)
    {
        Directory.CreateDirectory(root);
        // Stop MSBuild's upward search for these files here, whatever lies above the work folder.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");

        var model = Model.Create(types);
        var typesSource = TypesSource(model);
        var sample = SampleSource(model);
        foreach (var variant in Enum.GetValues<Variant>())
        {
            var dir = Path.Combine(root, ProjectName(variant));
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, ProjectName(variant) + ".csproj"), ProjectFile(variant, runtimeDll, generatorDll));
            File.WriteAllText(Path.Combine(dir, "Types.cs"), typesSource);
            File.WriteAllText(Path.Combine(dir, "Sample.cs"), sample);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), ProgramSource(variant, types));
            if (variant != Variant.Baseline)
            {
                File.WriteAllText(Path.Combine(dir, "Context.cs"), ContextSource(variant, types));
            }
        }
    }

    private static string ProjectFile(Variant variant, string runtimeDll, string generatorDll)
    {
        var references = variant == Variant.Ours
            ? $"""
                <ItemGroup>
                  <Reference Include="{runtimeDll}" />
                  <Analyzer Include="{generatorDll}" />
                </ItemGroup>

              """
            : string.Empty;
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <InvariantGlobalization>true</InvariantGlobalization>
                <RootNamespace>ScaleBench</RootNamespace>
                <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
                <CompilerGeneratedFilesOutputPath>$(MSBuildProjectDirectory)/../{ProjectName(variant)}.generated</CompilerGeneratedFilesOutputPath>
              </PropertyGroup>
            {references}</Project>

            """;
    }

    private static string ContextSource(Variant variant, int types)
    {
        var sb = new StringBuilder();
        if (variant == Variant.Ours)
        {
            sb.Append("using NativeAotPersistence;\n\nnamespace ScaleBench;\n\n");
            for (var i = 0; i < types; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"[Payload(typeof(T{i}))]\n");
            }

            sb.Append("public partial class AppPayloads : PayloadContext;\n");
        }
        else
        {
            // The library's reference options (its wire format): camelCase, public fields, enums as names.
            sb.Append("using System.Text.Json.Serialization;\n\nnamespace ScaleBench;\n\n");
            sb.Append("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, IncludeFields = true, UseStringEnumConverter = true)]\n");
            for (var i = 0; i < types; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"[JsonSerializable(typeof(T{i}))]\n");
            }

            sb.Append("public partial class StjContext : JsonSerializerContext;\n");
        }

        return sb.ToString();
    }

    private static string ProgramSource(Variant variant, int types)
    {
        var leaf = $"T{types - 1}";
        return $$"""
            using System.Diagnostics;
            using ScaleBench;

            // Three probes, each in a fresh process: T0 (the root of the type graph: it reaches every type) or, with the
            // argument "leaf", {{leaf}} (it reaches no other type); "leaf warm" first loads System.Text.Json and the
            // serializer's own library (as any app that opened a store or wrote JSON before has), so the clock sees the
            // context's own cost. The sample is built before the clock starts.
            byte[] json;
            long start, resolved, end;
            TimeSpan cpu;
            if (args is ["leaf", ..])
            {
                if (args is [_, "warm"])
                {
                    using var writer = new System.Text.Json.Utf8JsonWriter(System.IO.Stream.Null);
                    writer.WriteNullValue();
                    writer.Flush();
                    _ = System.Text.Json.JsonDocument.Parse("[1]").RootElement.GetArrayLength();
                    {{(variant == Variant.Ours ? "_ = typeof(NativeAotPersistence.PayloadContext).TypeHandle; // the library's assembly, as a store opened first loads it" : "")}}
                }

            {{Probe(variant, leaf, "CreateLeaf")}}
            }
            else
            {
            {{Probe(variant, "T0", "Create")}}
            }

            // FNV-1a of the JSON: the harness compares the JSON between the projects (the same wire format).
            var hash = 2166136261u;
            foreach (var b in json)
            {
                hash = (hash ^ b) * 16777619u;
            }

            Console.WriteLine(FormattableString.Invariant(
                $"SCALE first_access_ms={Stopwatch.GetElapsedTime(start, end).TotalMilliseconds:F3} cpu_ms={cpu.TotalMilliseconds:F3} type_info_ms={Stopwatch.GetElapsedTime(start, resolved).TotalMilliseconds:F3} json_bytes={json.Length} json_fnv={hash:x8}"));
            if (Environment.GetEnvironmentVariable("SCALE_JSON") is { Length: > 0 } path)
            {
                File.WriteAllBytes(path, json);
            }

            """;
    }

    /// <summary>The timed first use of the serializer for <paramref name="type"/>: look its type info up, serialize the sample.</summary>
    private static string Probe(Variant variant, string type, string create)
    {
        var (resolve, serialize) = variant switch
        {
            Variant.Ours => (
                $"var info = (NativeAotPersistence.PayloadTypeInfo<{type}>)AppPayloads.Default.GetTypeInfo(typeof({type}))!;",
                "json = info.Serialize(sample);"),
            Variant.Stj => (
                $"var info = StjContext.Default.{type};",
                "json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(sample, info);"),
            _ => ("", "json = [];"),
        };
        return $"""
                var sample = SampleData.{create}();
                var cpu0 = Environment.CpuUsage.TotalTime;
                start = Stopwatch.GetTimestamp();
                {resolve}
                resolved = Stopwatch.GetTimestamp();
                {serialize}
                end = Stopwatch.GetTimestamp();
                cpu = Environment.CpuUsage.TotalTime - cpu0;
            """;
    }

    private static string TypesSource(Model model)
    {
        var sb = new StringBuilder("namespace ScaleBench;\n\n");
        for (var e = 0; e < model.Enums; e++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"public enum E{e} {{ None, Alpha, Beta, Gamma, Delta }}\n\n");
        }

        foreach (var type in model.Types)
        {
            if (type.Shape == Shape.Record)
            {
                sb.Append(CultureInfo.InvariantCulture, $"public sealed record T{type.Index}(");
                sb.AppendJoin(", ", type.Members.Select(m => $"{m.Type} {m.Name}"));
                sb.Append(");\n\n");
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $"public sealed class T{type.Index}\n{{\n");
            for (var i = 0; i < type.Members.Count; i++)
            {
                var m = type.Members[i];
                var isField = type.Shape == Shape.Fields && i % 2 == 1;
                var isRequired = type.Shape == Shape.InitOnly && i == 0;
                var accessors = type.Shape == Shape.InitOnly ? "{ get; init; }" : "{ get; set; }";
                var initializer = isRequired ? "" : m.Initializer;
                sb.Append("    public ");
                sb.Append(isRequired ? "required " : "");
                sb.Append(CultureInfo.InvariantCulture, $"{m.Type} {m.Name}");
                sb.Append(isField ? "" : " " + accessors);
                sb.Append(initializer.Length > 0 ? $" = {initializer};" : isField ? ";" : "");
                sb.Append('\n');
            }

            sb.Append("}\n\n");
        }

        return sb.ToString();
    }

    private static string SampleSource(Model model)
    {
        // T0 with every member set, its two children set one level down; the last type (a leaf) with every member set.
        var last = model.Types.Count - 1;
        return $$"""
            namespace ScaleBench;

            public static class SampleData
            {
                public static T0 Create() => {{Construct(model, 0, 1)}};

                public static T{{last}} CreateLeaf() => {{Construct(model, last, 0)}};
            }

            """;
    }

    private static string Construct(Model model, int index, int depth)
    {
        var type = model.Types[index];
        var values = type.Members.Select(m => (m.Name, Value: Value(model, m, depth))).ToList();
        return type.Shape == Shape.Record
            ? $"new T{index}({string.Join(", ", values.Select(v => v.Value))})"
            : $"new T{index} {{ {string.Join(", ", values.Select(v => $"{v.Name} = {v.Value}"))} }}";
    }

    private static string Value(Model model, Member m, int depth)
    {
        var child = m.Target is { } t && depth > 0 ? Construct(model, t, depth - 1) : null;
        return m.Kind switch
        {
            Kind.Object => child ?? "null",
            Kind.List => child is null ? $"new List<T{m.Target}>()" : $"new List<T{m.Target}> {{ {child} }}",
            Kind.Dictionary => child is null ? $"new Dictionary<string, T{m.Target}>()" : $"new Dictionary<string, T{m.Target}> {{ [\"first\"] = {child} }}",
            _ => m.Sample,
        };
    }

    private enum Shape
    {
        Class,
        Record,
        Fields,
        InitOnly,
    }

    private enum Kind
    {
        Scalar,
        Object,
        List,
        Dictionary,
    }

    private sealed record Member(string Name, string Type, Kind Kind, int? Target, string Initializer, string Sample);

    private sealed record TypeModel(int Index, Shape Shape, List<Member> Members);

    private sealed record Model(int Enums, List<TypeModel> Types)
    {
        public static Model Create(int count)
        {
            var enums = Math.Max(1, count / 25);
            var types = new List<TypeModel>(count);
            for (var i = 0; i < count; i++)
            {
                // Seeded per type: the same N gives the same types, and type i does not depend on N except for its references.
#pragma warning disable CA5394 // not security: a fixed seed for reproducible source
                var rng = new Random(21_000 + i);
                var names = Words.OrderBy(_ => rng.Next()).ToList();
                var members = new List<Member>();
                string NextName() => names[members.Count];

                // The tree edges (i -> 2i+1, 2i+2) connect the graph; the kind of reference rotates.
                foreach (var (child, k) in new[] { (2 * i + 1, i % 3), (2 * i + 2, (i + 1) % 3) })
                {
                    if (child < count)
                    {
                        members.Add(Reference(NextName(), child, (Kind)(k + 1)));
                    }
                }

                // Now and then a reference further down the graph (a DAG: no cycles).
                if (i + 3 < count && rng.Next(4) == 0)
                {
                    members.Add(Reference(NextName(), rng.Next(i + 3, count), Kind.Object));
                }

                members.Add(Scalar(NextName(), $"E{i % enums}", "E" + (i % enums).ToString(CultureInfo.InvariantCulture) + ".Beta", ""));
                members.Add(Nullable(NextName(), rng.Next(5), i));
                while (members.Count < 10)
                {
                    members.Add(Primitive(NextName(), rng.Next(12), i, members.Count));
                }
#pragma warning restore CA5394

                // Interleave so references are not always first.
                members = [.. members.OrderBy(m => m.Name, StringComparer.Ordinal)];
                var shape = (i % 5) switch
                {
                    4 => Shape.Record,
                    2 => Shape.Fields,
                    3 => Shape.InitOnly,
                    _ => Shape.Class,
                };
                types.Add(new TypeModel(i, shape, members));
            }

            return new Model(enums, types);
        }

        private static Member Reference(string name, int target, Kind kind) => kind switch
        {
            Kind.Object => new Member(name, $"T{target}?", kind, target, "", "null"),
            Kind.List => new Member(name, $"List<T{target}>", kind, target, "[]", ""),
            _ => new Member(name, $"Dictionary<string, T{target}>", kind, target, "new()", ""),
        };

        private static Member Scalar(string name, string type, string sample, string initializer) =>
            new(name, type, Kind.Scalar, null, initializer, sample);

        private static Member Nullable(string name, int pick, int i) => pick switch
        {
            0 => Scalar(name, "int?", I(i), ""),
            1 => Scalar(name, "DateTime?", "null", ""),
            2 => Scalar(name, "double?", I(i) + ".25", ""),
            3 => Scalar(name, "Guid?", "null", ""),
            _ => Scalar(name, "string?", "null", ""),
        };

        private static Member Primitive(string name, int pick, int i, int m) => pick switch
        {
            0 or 1 => Scalar(name, "string", $"\"value {I(i)}.{I(m)}\"", "\"\""),
            2 => Scalar(name, "int", I(i * 10 + m), ""),
            3 => Scalar(name, "long", I((i + 1) * 1_000_003L) + "L", ""),
            4 => Scalar(name, "double", I(i) + ".5", ""),
            5 => Scalar(name, "decimal", I(i) + ".25m", ""),
            6 => Scalar(name, "bool", "true", ""),
            7 => Scalar(name, "DateTime", $"new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes({I(i)})", ""),
            8 => Scalar(name, "Guid", $"new Guid(\"00000000-0000-0000-0000-{i.ToString("D12", CultureInfo.InvariantCulture)}\")", ""),
            9 => Scalar(name, "List<string>", "new List<string> { \"a\", \"b\" }", "[]"),
            10 => Scalar(name, "DateTimeOffset", $"new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds({I(i)})", ""),
            _ => Scalar(name, "Dictionary<string, string>", "new Dictionary<string, string> { [\"k\"] = \"v\" }", "new()"),
        };

        private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
