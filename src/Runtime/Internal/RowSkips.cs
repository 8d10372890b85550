namespace NativeAotPersistence;

/// <summary>How listings treat a row they cannot read: skip it, report it, list the rest.</summary>
internal static class RowSkips
{
    /// <summary>
    /// Whether <paramref name="error"/> is a row that cannot be read (a damaged time column, an unknown state, a value
    /// that does not parse): if so it is reported (<see cref="PersistenceEvents"/>) and the listing goes on without it.
    /// Anything else (I/O, a busy database) is no reason to skip and propagates.
    /// </summary>
    public static bool Skip(PersistenceException error, string operation, string table, string key)
    {
        if (error.Kind is not (PersistenceErrorKind.Corrupt or PersistenceErrorKind.PayloadFormat))
        {
            return false;
        }

        PersistenceTelemetry.RowSkipped(operation);
        if (PersistenceEvents.IsEnabled)
        {
            PersistenceEvents.RowSkipped(new PersistenceRowSkipped(operation, table, key, error));
        }

        return true;
    }
}
