using System.Diagnostics;

namespace NativeAotPersistence.Tests;

/// <summary>Runs the test host (tests/NativeAotPersistence.TestHost) as a real child process.</summary>
public static class ChildProcess
{
    public static string TestHostDll => Path.Combine(AppContext.BaseDirectory, "NativeAotPersistence.TestHost.dll");

    // The build output may sit in a directory other users cannot enter (CI clones into a 0700 mktemp directory), so
    // a child that drops privileges runs a world-readable copy of the test host and its dependencies.
    private static readonly Lazy<string> s_publicTestHostDll = new(() =>
    {
        var target = Path.Combine(Path.GetTempPath(), "nap-testhost-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, (UnixFileMode)0x1ED);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith("NativeAotPersistence", StringComparison.Ordinal) || name.StartsWith("SQLitePCLRaw", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(target, name));
            }
        }

        var native = Path.Combine("runtimes", "linux-x64", "native");
        Directory.CreateDirectory(Path.Combine(target, native));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, native)))
        {
            File.Copy(file, Path.Combine(target, native, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(target, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0x1ED);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(target, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return Path.Combine(target, "NativeAotPersistence.TestHost.dll");
    });

    /// <summary>Whether this process may switch users (tests run as root here and in CI).</summary>
    public static bool CanDropPrivileges =>
        OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/usr/bin/setpriv");

    public static async Task<(int ExitCode, string[] Lines, string Error)> RunTestHostAsync(
        IEnumerable<string> args, bool asNobody = false, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        if (asNobody)
        {
            start.FileName = "/usr/bin/setpriv";
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", DotnetHost(), s_publicTestHostDll.Value })
            {
                start.ArgumentList.Add(a);
            }

            // nobody has no writable home; keep the runtime from looking for one.
            start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
            start.Environment["HOME"] = Path.GetTempPath();
        }
        else
        {
            start.FileName = DotnetHost();
            start.ArgumentList.Add(TestHostDll);
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The test host did not finish in time.");
        }

        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (process.ExitCode, lines, await error);
    }

    /// <summary>
    /// Runs a copy of the test host that lacks SQLite's native library (no <c>runtimes/</c> folder, no deps file to find
    /// one by): what a user gets who copies the binary without <c>libe_sqlite3.so</c>.
    /// </summary>
    public static async Task<(int ExitCode, string[] Lines, string Error)> RunTestHostWithoutSqliteAsync(IEnumerable<string> args)
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            var name = Path.GetFileName(file);
            if ((name.StartsWith("NativeAotPersistence", StringComparison.Ordinal) || name.StartsWith("SQLitePCLRaw", StringComparison.Ordinal))
                && !name.EndsWith(".deps.json", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(dir.Path, name));
            }
        }

        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*e_sqlite3.so*", SearchOption.AllDirectories));
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(dir.Path, "NativeAotPersistence.TestHost.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (process.ExitCode, lines, await error);
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
