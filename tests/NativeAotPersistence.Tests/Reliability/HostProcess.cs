using System.Diagnostics;
using System.Threading.Channels;

namespace NativeAotPersistence.Tests.Reliability;

/// <summary>
/// A running test host (tests/NativeAotPersistence.TestHost) the test talks to while it runs: its stdout arrives line by
/// line, stdin takes commands, and <see cref="Kill"/> sends SIGKILL. For one-shot runs use <see cref="ChildProcess"/>.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Task _pump;
    private readonly Task<string> _stderr;

    private HostProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _pump = Task.Run(async () =>
        {
            try
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    _lines.Writer.TryWrite(line);
                }
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                _lines.Writer.TryComplete();
            }
        });
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static HostProcess Start(params string[] args) => StartUnder([], args);

    /// <summary>Starts the test host under a wrapper command (such as <c>unshare --pid --fork</c>).</summary>
    public static HostProcess StartUnder(string[] wrapper, params string[] args)
    {
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo
        {
            FileName = wrapper.Length > 0 ? wrapper[0] : dotnet,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var w in wrapper.Skip(1))
        {
            start.ArgumentList.Add(w);
        }

        if (wrapper.Length > 0)
        {
            start.ArgumentList.Add(dotnet);
        }

        start.ArgumentList.Add(ChildProcess.TestHostDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return new HostProcess(Process.Start(start)!);
    }

    /// <summary>Reads the next stdout line; null when the process closed its output.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The test host printed nothing for {timeout.TotalSeconds:0} s. stderr so far: {StderrIfExited()}");
        }
    }

    /// <summary>Reads lines until one equals <paramref name="expected"/>; throws if the output ends first.</summary>
    public async Task WaitForLineAsync(string expected, TimeSpan timeout)
    {
        while (true)
        {
            var line = await ReadLineAsync(timeout)
                ?? throw new InvalidOperationException($"The test host ended before printing '{expected}': {await _stderr}");
            if (line == expected)
            {
                return;
            }
        }
    }

    /// <summary>Every line printed so far that has not been read.</summary>
    public List<string> DrainAvailable()
    {
        var lines = new List<string>();
        while (_lines.Reader.TryRead(out var line))
        {
            lines.Add(line);
        }

        return lines;
    }

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>SIGKILL: no finally blocks, no disposal, no flush; the OS closes the files.</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    /// <summary>Waits for the process to end, then for its stdout to be read to the end; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await _pump.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The test host did not exit within {timeout.TotalSeconds:0} s.");
        }

        return _process.ExitCode;
    }

    public Task<string> StderrAsync() => _stderr;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private string StderrIfExited() => _stderr.IsCompleted ? _stderr.Result : "(still running)";
}
