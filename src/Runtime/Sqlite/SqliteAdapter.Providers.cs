namespace NativeAotPersistence;

public sealed partial class SqliteAdapter
{
    #pragma warning disable CA1822 // Replaced by the providers issue.
    private (ICacheProvider, ILockProvider, ICircuitBreakerStateProvider, ICheckpointProvider, IIdempotencyProvider) CreateProviders() =>
        (null!, null!, null!, null!, null!);
#pragma warning restore CA1822

    /// <inheritdoc />
    public ValueTask<PruneResult> PruneAsync(CancellationToken cancellationToken = default)
    {
        _ = Pool;
        return ValueTask.FromResult(default(PruneResult));
    }

    private static ValueTask OnDisconnectingAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        return ValueTask.CompletedTask;
    }
}
