using System.Net.Sockets;
using Npgsql;

namespace NativeAotPersistence.PostgreSql;

/// <summary>The one place a PostgreSQL or Npgsql failure becomes a typed <see cref="PersistenceException"/>.</summary>
internal static class PgErrors
{
    /// <summary>
    /// Whether the failure leaves nothing applied and may succeed if tried again: a connection that broke or could not
    /// be made, a server shutting down or starting, too many connections, a serialization failure or a deadlock.
    /// </summary>
    public static bool IsRetryable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is "40001" or "40P01" or "57P01" or "57P02" or "57P03" or "53300" or "08000" or "08001" or "08003" or "08004" or "08006",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException,
        TimeoutException or IOException => true,
        InvalidOperationException { InnerException: NpgsqlException inner } => IsRetryable(inner),
        _ => false,
    };

    public static PersistenceException Map(Exception e, string operation, string dataSource, bool committing = false, int attempts = 1)
    {
        if (e is PersistenceException persistence)
        {
            return persistence;
        }

        var retried = attempts > 1 ? $" after {attempts} attempts" : "";
        if (committing && IsRetryable(e))
        {
            return new PersistenceException(
                $"The connection to PostgreSQL '{dataSource}' failed while '{operation}' was committing, so whether it was applied is unknown " +
                $"(it was not retried, because applying it twice would be wrong): {e.Message}",
                PersistenceErrorKind.Connection,
                operation,
                dataSource,
                sqlState: (e as PostgresException)?.SqlState,
                innerException: e);
        }

        if (e is PostgresException pg)
        {
            var (kind, advice) = Classify(pg.SqlState);
            return new PersistenceException(
                $"PostgreSQL '{dataSource}' refused '{operation}'{retried}: {pg.SqlState} {pg.MessageText}{advice}",
                kind,
                operation,
                dataSource,
                sqlState: pg.SqlState,
                innerException: e);
        }

        return new PersistenceException(
            $"The connection to PostgreSQL '{dataSource}' failed during '{operation}'{retried}: {e.Message}",
            PersistenceErrorKind.Connection,
            operation,
            dataSource,
            innerException: e);
    }

    private static (PersistenceErrorKind Kind, string Advice) Classify(string sqlState) => sqlState switch
    {
        "53100" => (PersistenceErrorKind.Full, " (the server's disk is full)."),
        "25006" => (PersistenceErrorKind.ReadOnly, " (the server is read-only: a standby, or default_transaction_read_only is on)."),
        "42501" => (PersistenceErrorKind.ReadOnly, " (the role lacks a privilege on the go_goscope_* tables)."),
        "3D000" => (PersistenceErrorKind.CannotOpen, " (the database does not exist)."),
        "XX001" or "XX002" => (PersistenceErrorKind.Corrupt, " (the server reports corrupted data)."),
        "54000" => (PersistenceErrorKind.Other, " (a stored key must fit a B-tree index entry: about 2,700 bytes of prefix, kind and key after compression)."),
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("57P", StringComparison.Ordinal)
            => (PersistenceErrorKind.Connection, "."),
        _ when sqlState.StartsWith("28", StringComparison.Ordinal) => (PersistenceErrorKind.CannotOpen, " (authentication failed)."),
        _ when sqlState.StartsWith("23", StringComparison.Ordinal) => (PersistenceErrorKind.Constraint, "."),
        _ when sqlState.StartsWith("53", StringComparison.Ordinal) || sqlState.StartsWith("58", StringComparison.Ordinal) => (PersistenceErrorKind.Io, "."),
        _ => (PersistenceErrorKind.Other, "."),
    };
}
