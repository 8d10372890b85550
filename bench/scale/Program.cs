using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NativeAotPersistence.Scale;

// Scale and cost of the payload generator against System.Text.Json's source generator (issue 21); see README.md.
// Usage: bench/scale/run.sh [--types 500[,100...]] [--builds 3] [--runs 10] [--no-aot] [--servers | --cold] [--work DIR] [--keep]

var options = Options.Parse(args);
var repo = Options.RepositoryRoot();
var runtimeDll = Path.Combine(repo, "src", "Runtime", "bin", "Release", "net10.0", "NativeAotPersistence.dll");
var generatorDll = Path.Combine(repo, "src", "Generators", "bin", "Release", "netstandard2.0", "NativeAotPersistence.Generators.dll");
foreach (var dll in new[] { runtimeDll, generatorDll })
{
    if (!File.Exists(dll))
    {
        Console.Error.WriteLine($"{dll} is missing: run `dotnet build src/Runtime -c Release` first (bench/scale/run.sh does).");
        return 2;
    }
}

var work = Path.GetFullPath(options.Work);
if ((work + "/").StartsWith(repo + "/", StringComparison.Ordinal))
{
    Console.Error.WriteLine($"The work folder {work} must lie outside the repository (its Directory.Build.props would apply).");
    return 2;
}

var header = new StringBuilder();
header.Append(CultureInfo.InvariantCulture, $"Commit {Git(repo, "rev-parse", "--short", "HEAD")}{(Git(repo, "status", "--porcelain", "--", "src").Length > 0 ? " (src/ modified)" : "")}, ");
header.Append(CultureInfo.InvariantCulture, $"generator built {File.GetLastWriteTimeUtc(generatorDll):yyyy-MM-dd HH:mm} UTC, ");
header.Append(CultureInfo.InvariantCulture, $".NET SDK {Shell.Run(repo, "dotnet", ["--version"]).Output.Trim()}, {Environment.ProcessorCount} cores, ");
header.Append(CultureInfo.InvariantCulture, $"{options.Builds} clean builds of each ");
header.Append(options switch
{
    { Warm: true, Cold: true } => "on warm build servers (after a warm-up build) and as many without build servers",
    { Warm: true } => "on warm build servers (after a warm-up build)",
    _ => "without build servers",
});
header.Append(CultureInfo.InvariantCulture, $", {options.Runs} runs of each probe, interleaved; load average at the start {File.ReadAllText("/proc/loadavg").Split(' ')[0]}.");

var tables = new List<string>();
foreach (var types in options.Types)
{
    var root = Path.Combine(work, $"n{types}");
    var bench = new Bench(root, types, options);
    tables.Add(bench.Run(runtimeDll, generatorDll));
    if (!options.Keep)
    {
        Directory.Delete(root, recursive: true);
    }
}

var report = header + "\n\n" + string.Join("\n\n", tables) + "\n";
Console.WriteLine();
Console.WriteLine(report);
File.WriteAllText(Path.Combine(work, "scale.md"), report);
Console.WriteLine($"(also in {Path.Combine(work, "scale.md")}{(options.Keep ? "; projects and logs kept under " + work : "")})");
return 0;

static string Git(string repo, params string[] args) => Shell.Run(repo, "git", args).Output.Trim();

internal sealed record Options(int[] Types, int Builds, int Runs, bool Aot, bool Warm, bool Cold, string Work, bool Keep)
{
    public static Options Parse(string[] args)
    {
        var o = new Options([500], 3, 10, true, true, true, Path.Combine(Path.GetTempPath(), "nap-scale"), false);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--types" => o with { Types = [.. Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] },
                "--builds" => o with { Builds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--runs" => o with { Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--no-aot" => o with { Aot = false },
                "--servers" => o with { Warm = true, Cold = false },
                "--cold" => o with { Warm = false, Cold = true },
                "--work" => o with { Work = Next() },
                "--keep" => o with { Keep = true },
                _ => throw new ArgumentException($"unknown argument {args[i]}; see bench/scale/README.md"),
            };
        }

        return o;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NativeAotPersistence.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One N: writes the three projects, builds, runs and publishes them, and returns the Markdown table.</summary>
internal sealed partial class Bench(string root, int types, Options options)
{
    private static readonly Variant[] Variants = Enum.GetValues<Variant>();
    private readonly Dictionary<Variant, Figures> figures = Variants.ToDictionary(v => v, _ => new Figures());
    private readonly string logs = Path.Combine(root, "logs");

    public string Run(string runtimeDll, string generatorDll)
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        ScaleProjects.Write(root, types, runtimeDll, generatorDll);
        Directory.CreateDirectory(logs);
        Progress($"{types} types: projects in {root}");

        foreach (var v in Variants)
        {
            Shell.Dotnet(Dir(v), Log(v, "restore"), "restore", "-nologo").Check($"{v}: restore");
        }

        if (options.Warm)
        {
            // A warm-up build of each (servers started, generators loaded and jitted), not counted.
            foreach (var v in Variants)
            {
                var (warmup, _, _) = Build(v, "warmup", servers: true);
                Progress($"{v}: warm-up build {warmup.Elapsed.TotalSeconds:F1} s");
            }

            Builds("warm", servers: true, f => f.Warm);
        }

        if (options.Cold)
        {
            Builds("cold", servers: false, f => f.Cold);
        }

        foreach (var v in Variants)
        {
            MeasureOutput(v);
        }

        Runs("jit", v => Path.Combine(Dir(v), "bin", "Release", "net10.0", Name(v)), f => f.Jit, f => f.JitLeaf, f => f.JitLeafWarm);

        if (options.Aot)
        {
            foreach (var v in Variants)
            {
                var dir = Dir(v);
                Shell.Dotnet(dir, Log(v, "aot-restore"), "restore", "-nologo", "-r", "linux-x64", "-p:PublishAot=true").Check($"{v}: restore for NativeAOT");
                // Without build servers, so its CPU time (compiler, ILC, linker) is measured whole.
                var publish = Shell.Dotnet(dir, Log(v, "aot-publish"), "publish", "-c", "Release", "-r", "linux-x64", "--no-restore", "-nologo",
                    "--disable-build-servers", "-p:PublishAot=true", "-o", AotDir(v)).Check($"{v}: NativeAOT publish");
                figures[v].AotPublishSeconds = publish.Elapsed.TotalSeconds;
                figures[v].AotPublishCpuSeconds = publish.CpuSeconds;
                figures[v].AotBytes = new FileInfo(Path.Combine(AotDir(v), Name(v))).Length;
                figures[v].AotWarnings = WarningCodes(publish.Output);
                Progress($"{v}: NativeAOT publish {publish.Elapsed.TotalSeconds:F1} s, CPU {publish.CpuSeconds:F1} s, {figures[v].AotBytes:N0} B");
            }

            Runs("aot", v => Path.Combine(AotDir(v), Name(v)), f => f.Aot, f => f.AotLeaf, f => f.AotLeafWarm);
        }

        return Table();
    }

    /// <summary><see cref="Options.Builds"/> rounds of clean builds of the three projects in turn.</summary>
    private void Builds(string kind, bool servers, Func<Figures, BuildFigures> pick)
    {
        for (var b = 1; b <= options.Builds; b++)
        {
            foreach (var v in Variants)
            {
                var (took, generator, analyzer) = Build(v, $"{kind}{b}", servers);
                var f = pick(figures[v]);
                f.WallSeconds.Add(took.Elapsed.TotalSeconds);
                f.CpuSeconds.Add(took.CpuSeconds);
                if (generator is { } g)
                {
                    f.GeneratorSeconds.Add(g);
                }

                if (analyzer is { } a)
                {
                    f.AnalyzerSeconds.Add(a);
                }

                Progress($"{v}: {kind} build {b}/{options.Builds} {took.Elapsed.TotalSeconds:F1} s" + (servers ? "" : $", CPU {took.CpuSeconds:F1} s") + (generator is { } t ? $", generator {t:F2} s" : ""));
            }
        }
    }

    /// <summary>
    /// A clean build, on the build servers or without them (<c>--disable-build-servers</c>: the compiler runs in a
    /// child process, so the CPU time is the whole build's); its times and the generator's and analyzer's own times.
    /// </summary>
    private (Shell.Result Result, double? Generator, double? Analyzer) Build(Variant v, string tag, bool servers)
    {
        var dir = Dir(v);
        foreach (var clean in new[] { Path.Combine(dir, "bin"), Path.Combine(dir, "obj", "Release"), Generated(v) })
        {
            if (Directory.Exists(clean))
            {
                Directory.Delete(clean, recursive: true);
            }
        }

        // ReportAnalyzer makes the compiler print each generator's and analyzer's time, which only a detailed log shows;
        // the console stays quiet. The same switches for the three projects.
        var detailed = Log(v, tag + ".detailed");
        string[] build = ["build", "-c", "Release", "--no-restore", "-nologo", "-v:q", "-p:ReportAnalyzer=true", "-fl", $"-flp:logfile={detailed};verbosity=detailed"];
        var result = Shell.Dotnet(dir, Log(v, tag), servers ? build : [.. build, "--disable-build-servers"]).Check($"{v}: build");
        var text = File.ReadAllText(detailed);
        var times = AnalyzerTimes(text);
        var (generator, analyzer) = v switch
        {
            Variant.Ours => (".PayloadGenerator", ".PayloadUsageAnalyzer"),
            Variant.Stj => (".JsonSourceGenerator", null),
            _ => (null, null),
        };
        figures[v].BuildWarnings = WarningCodes(result.Output + text);
        return (result, Time(generator), Time(analyzer));

        double? Time(string? suffix) =>
            suffix is null ? null : times.Where(t => t.Name.EndsWith(suffix, StringComparison.Ordinal)).Sum(t => t.Seconds);
    }

    private void MeasureOutput(Variant v)
    {
        var f = figures[v];
        var generated = Generated(v);
        var files = Directory.Exists(generated) ? Directory.GetFiles(generated, "*", SearchOption.AllDirectories) : [];
        f.GeneratedFiles = files.Length;
        f.GeneratedBytes = files.Sum(p => new FileInfo(p).Length);
        f.GeneratedLines = files.Sum(p => File.ReadLines(p).LongCount());
        f.DllBytes = new FileInfo(Path.Combine(Dir(v), "bin", "Release", "net10.0", Name(v) + ".dll")).Length;
    }

    /// <summary>
    /// Each program <see cref="Options.Runs"/> times per probe (T0, then the leaf type) in fresh processes, interleaved;
    /// the first run of each writes its JSON, which is compared with STJ's.
    /// </summary>
    private void Runs(string kind, Func<Variant, string> executable, Func<Figures, RunFigures> graphRoot, Func<Figures, RunFigures> leaf, Func<Figures, RunFigures> leafWarm)
    {
        for (var r = 0; r < options.Runs; r++)
        {
            foreach (var v in Variants)
            {
                Run(v, graphRoot, "root", []);
                Run(v, leaf, "leaf", ["leaf"]);
                Run(v, leafWarm, "leaf-warm", ["leaf", "warm"]);
            }
        }

        foreach (var (pick, probe) in new[] { (graphRoot, "root"), (leaf, "leaf") })
        {
            var ours = File.ReadAllBytes(Json(Variant.Ours, probe));
            var stj = File.ReadAllBytes(Json(Variant.Stj, probe));
            pick(figures[Variant.Ours]).SameJsonAsStj = ours.AsSpan().SequenceEqual(stj);
        }

        Progress($"{kind} runs done: ours {Median(graphRoot(figures[Variant.Ours]).FirstAccessMs):F1} ms, STJ {Median(graphRoot(figures[Variant.Stj]).FirstAccessMs):F1} ms (medians)");

        string Json(Variant v, string probe) => Path.Combine(root, $"{v}.{kind}.{probe}.json");

        void Run(Variant v, Func<Figures, RunFigures> pick, string probe, string[] args)
        {
            var env = new Dictionary<string, string> { ["SCALE_JSON"] = pick(figures[v]).FirstAccessMs.Count == 0 ? Json(v, probe) : "" };
            var result = Shell.Run(root, executable(v), args, environment: env).Check($"{v}: {kind} run ({probe})");
            var line = result.Output.Split('\n').Single(l => l.StartsWith("SCALE ", StringComparison.Ordinal));
            var values = line.Split(' ').Skip(1).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
            var run = pick(figures[v]);
            run.FirstAccessMs.Add(double.Parse(values["first_access_ms"], CultureInfo.InvariantCulture));
            run.CpuMs.Add(double.Parse(values["cpu_ms"], CultureInfo.InvariantCulture));
            run.TypeInfoMs.Add(double.Parse(values["type_info_ms"], CultureInfo.InvariantCulture));
            run.ProcessMs.Add(result.Elapsed.TotalMilliseconds);
            run.JsonBytes = int.Parse(values["json_bytes"], CultureInfo.InvariantCulture);
        }
    }

    private string Table()
    {
        var o = figures[Variant.Ours];
        var s = figures[Variant.Stj];
        var b = figures[Variant.Baseline];
        var rows = new List<string[]>();

        void Row(string what, Func<Figures, string> cell, Func<Figures, double>? ratioOf = null) =>
            rows.Add([what, cell(o), cell(s), cell(b), ratioOf is null ? "" : Ratio(ratioOf(o), ratioOf(s))]);

        if (options.Warm)
        {
            BuildRows("on warm build servers", f => f.Warm, cpu: false);
        }

        if (options.Cold)
        {
            BuildRows("without build servers", f => f.Cold, cpu: true);
        }

        Row("our PayloadUsageAnalyzer (NAP0011), s (median)", f => f == o ? $"{Median((options.Warm ? f.Warm : f.Cold).AnalyzerSeconds):F2}" : "—");
        Row("generated files", f => $"{f.GeneratedFiles:N0}", f => f.GeneratedFiles);
        Row("generated source, bytes", f => $"{f.GeneratedBytes:N0}", f => f.GeneratedBytes);
        Row("generated source, lines", f => $"{f.GeneratedLines:N0}", f => f.GeneratedLines);
        Row("IL assembly (the app's .dll), bytes", f => $"{f.DllBytes:N0}", f => f.DllBytes);
        Row("build warnings", f => f.BuildWarnings);
        RunRows("JIT", f => f.Jit, f => f.JitLeaf, f => f.JitLeafWarm);
        if (options.Aot)
        {
            Row("NativeAOT publish, wall s (one, no build servers)", f => $"{f.AotPublishSeconds:F1}", f => f.AotPublishSeconds);
            Row("NativeAOT publish, CPU s", f => $"{f.AotPublishCpuSeconds:F1}", f => f.AotPublishCpuSeconds);
            Row("NativeAOT binary, bytes", f => $"{f.AotBytes:N0}", f => f.AotBytes);
            Row("NativeAOT publish warnings", f => f.AotWarnings);
            RunRows("NativeAOT", f => f.Aot, f => f.AotLeaf, f => f.AotLeafWarm);
        }

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"**N = {types} payload types** (~10 members each, all registered as roots)\n\n");
        sb.Append("| | NativeAotPersistence | System.Text.Json source gen | types only | ours ÷ STJ |\n|---|---:|---:|---:|---:|\n");
        foreach (var row in rows)
        {
            sb.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }

        return sb.ToString();

        void BuildRows(string mode, Func<Figures, BuildFigures> pick, bool cpu)
        {
            var floor = pick(b);
            Row($"build {mode}, wall s (median of {options.Builds} clean builds; min–max)", f => Spread(pick(f).WallSeconds, "F1"), f => Median(pick(f).WallSeconds));
            Row($"build {mode}, wall s over the types-only build", f => f == b ? "—" : $"{Median(pick(f).WallSeconds) - Median(floor.WallSeconds):F1}", f => Median(pick(f).WallSeconds) - Median(floor.WallSeconds));
            if (cpu)
            {
                Row($"build {mode}, CPU s (median; min–max)", f => Spread(pick(f).CpuSeconds, "F1"), f => Median(pick(f).CpuSeconds));
                Row($"build {mode}, CPU s over the types-only build", f => f == b ? "—" : $"{Median(pick(f).CpuSeconds) - Median(floor.CpuSeconds):F1}", f => Median(pick(f).CpuSeconds) - Median(floor.CpuSeconds));
            }

            Row($"generator's own time {mode}, s (ReportAnalyzer, median)", f => f == b ? "—" : $"{Median(pick(f).GeneratorSeconds):F2}", f => Median(pick(f).GeneratorSeconds));
        }

        void RunRows(string kind, Func<Figures, RunFigures> pick, Func<Figures, RunFigures> leaf, Func<Figures, RunFigures> leafWarm)
        {
            Row($"{kind}: first access (T0, reaches every type), ms (median / max of {options.Runs} processes)", f => f == b ? "—" : $"{Median(pick(f).FirstAccessMs):F1} / {pick(f).FirstAccessMs.Max():F1}", f => Median(pick(f).FirstAccessMs));
            Row($"{kind}: first access, CPU ms of the process (median)", f => f == b ? "—" : $"{Median(pick(f).CpuMs):F1}", f => Median(pick(f).CpuMs));
            Row($"{kind}: of which the type-info lookup, ms (median)", f => f == b ? "—" : $"{Median(pick(f).TypeInfoMs):F1}", f => Median(pick(f).TypeInfoMs));
            Row($"{kind}: whole process, ms (median)", f => $"{Median(pick(f).ProcessMs):F0}", f => Median(pick(f).ProcessMs));
            Row($"{kind}: JSON of the sample, bytes", f => f == b ? "—" : $"{pick(f).JsonBytes:N0}" + (f == o ? pick(f).SameJsonAsStj ? " (= STJ's, byte for byte)" : " (DIFFERS from STJ's)" : ""));
            Row($"{kind}: first access to a leaf type (T{types - 1}, reaches none), ms (median / max)", f => f == b ? "—" : $"{Median(leaf(f).FirstAccessMs):F1} / {leaf(f).FirstAccessMs.Max():F1}", f => Median(leaf(f).FirstAccessMs));
            Row($"{kind}: of which the type-info lookup, ms (median)", f => f == b ? "—" : $"{Median(leaf(f).TypeInfoMs):F1}", f => Median(leaf(f).TypeInfoMs));
            Row($"{kind}: first access to the leaf type with the libraries loaded, ms (median / max)", f => f == b ? "—" : $"{Median(leafWarm(f).FirstAccessMs):F1} / {leafWarm(f).FirstAccessMs.Max():F1}", f => Median(leafWarm(f).FirstAccessMs));
            Row($"{kind}: of which the type-info lookup, ms (median / max)", f => f == b ? "—" : $"{Median(leafWarm(f).TypeInfoMs):F2} / {leafWarm(f).TypeInfoMs.Max():F2}", f => Median(leafWarm(f).TypeInfoMs));
            if (!leaf(o).SameJsonAsStj)
            {
                Row($"{kind}: the leaf's JSON", f => f == o ? "DIFFERS from STJ's" : "");
            }
        }
    }

    private static string Spread(List<double> values, string format) =>
        values.Count == 0 ? "—" : $"{Median(values).ToString(format, CultureInfo.InvariantCulture)} ({values.Min().ToString(format, CultureInfo.InvariantCulture)}–{values.Max().ToString(format, CultureInfo.InvariantCulture)})";

    private static string Ratio(double ours, double stj) => stj > 0 ? $"{ours / stj:F2}×" : "";

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static List<(string Name, double Seconds)> AnalyzerTimes(string log)
    {
        // Lines such as "   0.269   40      System.Text.Json.SourceGeneration.JsonSourceGenerator" (or "<0.001   <1 ...").
        return [.. AnalyzerTimeLine().Matches(log).Select(m => (m.Groups["name"].Value, double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture)))];
    }

    private static string WarningCodes(string output)
    {
        var codes = WarningCode().Matches(output).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToList();
        return codes.Count == 0 ? "none" : string.Join(", ", codes);
    }

    [GeneratedRegex(@"^\s*<?(?<t>\d+\.\d+)\s+<?\d+\s+(?<name>[\w.]+)(\s+\(.*\))?\s*$", RegexOptions.Multiline)]
    private static partial Regex AnalyzerTimeLine();

    [GeneratedRegex(@"warning ([A-Z]+[0-9]+)\s*:")]
    private static partial Regex WarningCode();

    private static void Progress(string message) => Console.WriteLine($"# {DateTime.Now:HH:mm:ss} {message}");

    private static string Name(Variant v) => ScaleProjects.ProjectName(v);

    private string Dir(Variant v) => Path.Combine(root, Name(v));

    private string Generated(Variant v) => Path.Combine(root, Name(v) + ".generated");

    private string AotDir(Variant v) => Path.Combine(root, Name(v) + ".aot");

    private string Log(Variant v, string tag) => Path.Combine(logs, $"{Name(v)}.{tag}.log");

    private sealed class Figures
    {
        public BuildFigures Warm { get; } = new();
        public BuildFigures Cold { get; } = new();
        public int GeneratedFiles { get; set; }
        public long GeneratedBytes { get; set; }
        public long GeneratedLines { get; set; }
        public long DllBytes { get; set; }
        public string BuildWarnings { get; set; } = "";
        public RunFigures Jit { get; } = new();
        public RunFigures JitLeaf { get; } = new();
        public RunFigures JitLeafWarm { get; } = new();
        public double AotPublishSeconds { get; set; }
        public double AotPublishCpuSeconds { get; set; }
        public long AotBytes { get; set; }
        public string AotWarnings { get; set; } = "";
        public RunFigures Aot { get; } = new();
        public RunFigures AotLeaf { get; } = new();
        public RunFigures AotLeafWarm { get; } = new();
    }

    private sealed class BuildFigures
    {
        public List<double> WallSeconds { get; } = [];
        public List<double> CpuSeconds { get; } = [];
        public List<double> GeneratorSeconds { get; } = [];
        public List<double> AnalyzerSeconds { get; } = [];
    }

    private sealed class RunFigures
    {
        public List<double> FirstAccessMs { get; } = [];
        public List<double> CpuMs { get; } = [];
        public List<double> TypeInfoMs { get; } = [];
        public List<double> ProcessMs { get; } = [];
        public int JsonBytes { get; set; }
        public bool SameJsonAsStj { get; set; }
    }
}
