using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>
/// Backend kit: how listings (admin listings, checkpoint lists) treat a row they cannot read: skip it, report it, list
/// the rest. One damaged row must not hide every other row from the operator.
/// </summary>
/// <remarks>
/// A backend reads each row of a listing inside <c>try</c> and filters with
/// <c>catch (PersistenceException e) when (RowSkips.Skip(e, operation, table, key))</c>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RowSkips
{
    /// <summary>
    /// Whether <paramref name="error"/> is a row that cannot be read (a damaged time column, an unknown state, a value
    /// that does not parse): if so it is reported (<see cref="PersistenceEvents"/>) and the listing goes on without it.
    /// Anything else (I/O, a busy database) is no reason to skip and propagates.
    /// </summary>
    /// <param name="error">What reading the row threw.</param>
    /// <param name="operation">The listing, such as <c>admin.locks</c> (counted in <c>nap.rows_skipped</c>).</param>
    /// <param name="table">The table the row is in.</param>
    /// <param name="key">The row's key, as far as it could be read.</param>
    /// <returns>Whether to skip the row (<see cref="PersistenceErrorKind.Corrupt"/> or <see cref="PersistenceErrorKind.PayloadFormat"/>); <see langword="false"/>: rethrow.</returns>
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
