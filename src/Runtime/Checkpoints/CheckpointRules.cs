namespace NativeAotPersistence;

/// <summary>Argument rules every checkpoint backend applies.</summary>
internal static class CheckpointRules
{
    public static void Validate<T>(Checkpoint<T> checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        Keys.Validate(checkpoint.Id, nameof(checkpoint));
        Keys.Validate(checkpoint.TaskId, nameof(checkpoint));
        if (checkpoint.Progress is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(checkpoint), checkpoint.Progress, "Progress must be between 0 and 100.");
        }

        if (checkpoint.EstimatedTimeRemaining is { } eta && eta < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(checkpoint), eta, "EstimatedTimeRemaining must not be negative.");
        }
    }

    public static long? EtaMs(TimeSpan? eta) => eta is { } value ? value.Ticks / TimeSpan.TicksPerMillisecond : null;

    public static TimeSpan? Eta(long? ms) => ms is { } value ? TimeSpan.FromMilliseconds(value) : null;
}
