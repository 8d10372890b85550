using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: the argument rules every checkpoint backend applies before it stores a checkpoint.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CheckpointRules
{
    /// <summary>Validates a checkpoint a caller asks to store.</summary>
    /// <typeparam name="T">The checkpoint's data type.</typeparam>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">Its id or task id is not a valid key (see <see cref="Keys.Validate"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Its progress is outside 0–100, or its estimated time remaining is negative.</exception>
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

    /// <summary>The stored form of an estimated time remaining: whole milliseconds (truncated), or <see langword="null"/>.</summary>
    /// <param name="eta">The checkpoint's estimated time remaining, already validated.</param>
    /// <returns>The milliseconds to store; read them back with <see cref="Ttl.DurationFromStoredMs"/>.</returns>
    public static long? EtaMs(TimeSpan? eta) => eta is { } value ? value.Ticks / TimeSpan.TicksPerMillisecond : null;

    internal static TimeSpan? Eta(long? ms) => ms is { } value ? TimeSpan.FromMilliseconds(value) : null;
}
