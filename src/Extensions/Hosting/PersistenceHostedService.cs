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

    // Not the stop token: a disconnect cut short would leave the file to be closed by disposal instead, which is fine,
    // but a clean disconnect (a checkpointed WAL) is worth the wait.
    public Task StoppedAsync(CancellationToken cancellationToken) => adapter.DisconnectAsync(CancellationToken.None).AsTask();
}
