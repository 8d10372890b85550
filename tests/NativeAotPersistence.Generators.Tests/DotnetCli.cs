using System.Diagnostics;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>Runs the <c>dotnet</c> CLI as a child process, for the tests that build a throwaway project for real.</summary>
internal static class DotnetCli
{
    /// <summary>Runs <c>dotnet arguments</c>; returns its exit code and its output (stdout, then stderr).</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host may run under MSBuild; the child must not inherit its node settings.
        foreach (var key in start.Environment.Keys.Where(static k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(10)), "dotnet " + string.Join(' ', arguments) + " timed out");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs <c>dotnet arguments</c> and fails the test unless it succeeds; returns its output.</summary>
    public static string RunChecked(string workingDirectory, params string[] arguments)
    {
        var (exitCode, output) = Run(workingDirectory, arguments);
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', arguments)} failed ({exitCode}):\n{output}");
        return output;
    }
}
