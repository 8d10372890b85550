using Microsoft.Extensions.Hosting;

namespace NativeAotPersistence.Extensions.Hosting;

/// <summary>
/// Connects the registered adapter when the host starts and disconnects it when the host has stopped. It works in the
/// lifecycle's outer phases (<see cref="StartingAsync"/>, <see cref="StoppedAsync"/>), so every other hosted service
/// finds the providers connected in its <c>StartAsync</c> and can still use them in its <c>StopAsync</c>.
/// </summary>
internal sealed class PersistenceHostedService(IPersistenceAdapter adapter) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => adapter.ConnectAsync(cancellationToken).AsTask();

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Not the host's stop token: a disconnect cut short by the shutdown timeout would leave the close to disposal,
    // and the in-flight writes it waits for are what a clean shutdown is for.
    public Task StoppedAsync(CancellationToken cancellationToken) => adapter.DisconnectAsync(CancellationToken.None).AsTask();
}
