using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NativeAotPersistence.Extensions.Internal;

namespace NativeAotPersistence.Extensions.Hosting;

/// <summary>
/// Connects the registered adapter when the host starts and disconnects it when the host has stopped. It works in the
/// lifecycle's outer phases (<see cref="StartingAsync"/>, <see cref="StoppedAsync"/>), so every other hosted service
/// finds the providers connected in its <c>StartAsync</c> and can still use them in its <c>StopAsync</c>. While the host
/// runs, the library's events (<see cref="PersistenceEvents"/>) are logged under the category <c>NativeAotPersistence</c>.
/// </summary>
internal sealed class PersistenceHostedService(
    IPersistenceAdapter adapter, IOptions<NativeAotPersistenceOptions> options, ILoggerFactory? loggers = null) : IHostedLifecycleService
{
    private IDisposable? _events;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // Before connecting, so the connection and any schema change are logged.
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger(PersistenceEventLogger.Category);
        _events ??= PersistenceEvents.Subscribe(new PersistenceEventLogger(logger, options.Value.BusyWaitLogThreshold));
        return adapter.ConnectAsync(cancellationToken).AsTask();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Not the host's stop token: a disconnect cut short by the shutdown timeout would leave the close to disposal,
    // and the in-flight writes it waits for are what a clean shutdown is for.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await adapter.DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _events?.Dispose();
            _events = null;
        }
    }
}
