using Microsoft.Extensions.Options;

namespace NativeAotPersistence.Extensions.Internal;

/// <summary>
/// Checks <see cref="NativeAotPersistenceOptions"/> with the core's rules before anything is opened, so a bad setting
/// fails the host's start with a message that names it (no DataAnnotations, no reflection).
/// </summary>
internal sealed class NativeAotPersistenceOptionsValidator : IValidateOptions<NativeAotPersistenceOptions>
{
    private const string Prefix = "NativeAotPersistence: ";

    public ValidateOptionsResult Validate(string? name, NativeAotPersistenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;

        if (options.AdapterFactory is null && string.IsNullOrWhiteSpace(options.Path))
        {
            Add(ref failures, "Path is required: set it to a database file such as \"app.db\" (or \":memory:\"), or supply another adapter with UseAdapter(...).");
        }

        if (options.KeyPrefix is null)
        {
            Add(ref failures, "KeyPrefix must not be null; use \"\" for no prefix.");
        }
        else if (HasLoneSurrogate(options.KeyPrefix))
        {
            Add(ref failures, "KeyPrefix contains a lone surrogate (invalid UTF-16); it could not be stored without merging with another prefix.");
        }

        if (!Enum.IsDefined(options.LockScope))
        {
            Add(ref failures, $"LockScope '{options.LockScope}' is not one of Process, Database.");
        }

        if (options.DefaultLockTtl <= TimeSpan.Zero || options.DefaultLockTtl > TimeSpan.FromDays(30))
        {
            Add(ref failures, $"DefaultLockTtl must be finite, positive and at most 30 days (a lock nobody can recover is no use); it is {options.DefaultLockTtl}.");
        }

        if (options.BusyTimeout < TimeSpan.Zero && options.BusyTimeout != Timeout.InfiniteTimeSpan)
        {
            Add(ref failures, $"BusyTimeout must be zero, positive or infinite (-00:00:00.001); it is {options.BusyTimeout}.");
        }

        if (!Enum.IsDefined(options.Durability))
        {
            Add(ref failures, $"Durability '{options.Durability}' is not one of Normal, Full.");
        }

        if (options.ReaderConnections < 0)
        {
            Add(ref failures, $"ReaderConnections must be zero or more; it is {options.ReaderConnections}.");
        }

        if (options.BusyWaitLogThreshold < TimeSpan.Zero)
        {
            Add(ref failures, $"BusyWaitLogThreshold must be zero or positive; it is {options.BusyWaitLogThreshold}.");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Add(ref List<string>? failures, string message) => (failures ??= []).Add(Prefix + message);

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }

        return false;
    }
}
