using System.Diagnostics;
using System.Threading.Channels;

namespace NativeAotPersistence.Tests.Sample;

/// <summary>
/// Runs the sample (samples/AotConsole) as a child process: its JIT build, <c>dotnet aotconsole.dll</c>, from the sample's
/// own output directory (the test project builds it first through a ProjectReference that is not referenced).
/// </summary>
public sealed class AotConsoleProcess : IDisposable
{
    private static readonly Lazy<string> s_dll = new(FindDll);
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AotConsoleProcess(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(s_dll.Value);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                _outputClosed.TrySetResult();
                return;
            }

            lock (_output)
            {
                _output.Add(e.Data);
            }

            _lines.Writer.TryWrite(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _errorClosed.TrySetResult();
                return;
            }

            lock (_errors)
            {
                _errors.Add(e.Data);
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The sample's entry assembly.</summary>
    public static string Dll => s_dll.Value;

    public int Id => _process.Id;

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public static AotConsoleProcess Start(params string[] args) => new(args);

    /// <summary>Runs the sample to its end and returns it (exit code, output and errors).</summary>
    public static async Task<AotConsoleProcess> RunAsync(params string[] args)
    {
        var process = Start(args);
        await process.WaitForExitAsync();
        return process;
    }

    /// <summary>Waits for the first output line that matches, or fails when the process ends without one.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        while (await _lines.Reader.WaitToReadAsync(cts.Token))
        {
            while (_lines.Reader.TryRead(out var line))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }

        throw new InvalidOperationException("The sample ended without printing the expected line. Output:\n" + string.Join('\n', Output) + "\nErrors:\n" + string.Join('\n', Errors));
    }

    /// <summary>SIGKILL: no clean-up runs, exactly like a power cut or the OOM killer.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await WaitForExitAsync();
    }

    /// <summary>Sends a signal (SIGINT for Ctrl+C, SIGTERM) with the kill(1) command.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException("The sample did not finish in time. Output:\n" + string.Join('\n', Output));
        }

        return _process.ExitCode;
    }

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }

    private static string FindDll()
    {
        // tests/NativeAotPersistence.Tests/bin/<Configuration>/net10.0/ → samples/AotConsole/bin/<Configuration>/net10.0/
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = baseDirectory.Name;
        var configuration = baseDirectory.Parent!.Name;
        for (var dir = baseDirectory; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "AotConsole", "bin", configuration, framework, "aotconsole.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"The sample's build output (samples/AotConsole/bin/{configuration}/{framework}/aotconsole.dll) was not found above {AppContext.BaseDirectory}.");
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
