using System.Diagnostics;

namespace NativeAotPersistence.Scale;

/// <summary>Runs a command to completion, with its output in a log file (or captured) and its wall-clock time.</summary>
internal static class Shell
{
    /// <param name="CpuSeconds">
    /// User + system CPU time of the process and every descendant it waited for (what getrusage(RUSAGE_CHILDREN) adds
    /// up): robust to a busy machine, unlike the wall-clock time. It misses work done by a build server that the
    /// command only talked to.
    /// </param>
    public sealed record Result(int ExitCode, TimeSpan Elapsed, double CpuSeconds, string Output);

    public static Result Run(string workingDirectory, string file, IEnumerable<string> args, string? log = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var output = new System.Text.StringBuilder();
        var gate = new object();
        var cpu = ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        clock.Stop();
        cpu = ChildrenCpuSeconds() - cpu;
        var text = output.ToString();
        if (log is not null)
        {
            File.WriteAllText(log, $"$ {file} {string.Join(' ', info.ArgumentList)}\n{text}");
        }

        return new Result(process.ExitCode, clock.Elapsed, cpu, text);
    }

    /// <summary>cutime + cstime of this process (fields 16 and 17 of /proc/self/stat, in USER_HZ = 100 ticks a second).</summary>
    private static double ChildrenCpuSeconds()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[13], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[14], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    public static Result Dotnet(string workingDirectory, string log, params string[] args) => Run(workingDirectory, "dotnet", args, log);

    /// <summary>Fails the harness with the tail of the log when a step failed.</summary>
    public static Result Check(this Result result, string what)
    {
        if (result.ExitCode != 0)
        {
            var lines = result.Output.Split('\n');
            throw new InvalidOperationException($"{what} failed (exit {result.ExitCode}):\n{string.Join('\n', lines.TakeLast(40))}");
        }

        return result;
    }
}
