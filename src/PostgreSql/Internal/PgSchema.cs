using Npgsql;

namespace NativeAotPersistence.PostgreSql;

/// <summary>The store's tables on PostgreSQL (docs/architecture.md, "Storage"), created in one transaction, and the schema-version check.</summary>
internal static class PgSchema
{
    /// <summary>The schema version this library writes; a database with a higher one is refused.</summary>
    public const int CurrentVersion = SchemaRules.CurrentVersion;

    private static readonly string[] Objects =
    [
        "go_goscope_meta", "go_goscope_cache", "go_goscope_circuit", "go_goscope_checkpoints", "go_goscope_idempotency",
        "go_goscope_locks", "go_goscope_lock_fencing",
    ];

    /// <summary>Checks the server, refuses a newer schema and creates what is missing (unless creation is off).</summary>
    public static async ValueTask<SchemaChange> EnsureAsync(NpgsqlConnection connection, bool createTables, string dataSource, CancellationToken cancellationToken)
    {
        await using (var command = connection.Command(PgSql.ServerEncoding))
        {
            var encoding = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (encoding is not ("UTF8" or "SQL_ASCII"))
            {
                throw new PersistenceException(
                    $"The PostgreSQL database '{dataSource}' uses the encoding {encoding}; NativeAotPersistence stores UTF-8 JSON and needs a UTF8 database " +
                    "(CREATE DATABASE … ENCODING 'UTF8').",
                    PersistenceErrorKind.Other,
                    "connect",
                    dataSource);
            }
        }

        // Look first without writing: a database with a newer schema must stay untouched.
        var state = await InspectAsync(connection, dataSource, cancellationToken).ConfigureAwait(false);
        Validate(state, createTables, dataSource);
        if (state.IsComplete)
        {
            return SchemaChange.None;
        }

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await using (var command = connection.Command(PgSql.SchemaLock))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // Another machine may have created or upgraded the schema since we looked.
            state = await InspectAsync(connection, dataSource, cancellationToken).ConfigureAwait(false);
            Validate(state, createTables: true, dataSource);
            if (state.IsComplete)
            {
                return SchemaChange.None;
            }

            await using (var command = connection.Command(PgSql.CreateScript))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return state.Version is null ? SchemaChange.Created : SchemaChange.Migrated;
        }
    }

    private readonly record struct State(IReadOnlyList<string> Missing, int? Version)
    {
        public bool IsComplete => Missing.Count == 0 && Version == CurrentVersion;
    }

    private static async ValueTask<State> InspectAsync(NpgsqlConnection connection, string dataSource, CancellationToken cancellationToken)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = connection.Command(PgSql.SchemaTables))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    present.Add(reader.GetString(0));
                }
            }
        }

        int? version = null;
        if (present.Contains("go_goscope_meta"))
        {
            await using var command = connection.Command(PgSql.SchemaVersion);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string text)
            {
                version = int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw new PersistenceException(
                        $"The PostgreSQL database '{dataSource}' records schema version '{text}', which is not a number; it was not written by this library.",
                        PersistenceErrorKind.Corrupt,
                        "connect",
                        dataSource);
            }
        }

        return new State(Objects.Where(o => !present.Contains(o)).ToArray(), version);
    }

    private static void Validate(State state, bool createTables, string dataSource) =>
        SchemaRules.Validate(
            state.Version, state.Missing, createTables, $"The PostgreSQL database '{dataSource}'", "objects",
            "Connect once with CreateTables = true (the default), as a role that may create tables, to create them.", dataSource);
}
