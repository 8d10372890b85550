using Npgsql;

namespace NativeAotPersistence.PostgreSql;

/// <summary>
/// The store's tables on PostgreSQL (docs/architecture.md, "Storage"): the engine's meta table and fencing sequence and the pieces the kinds
/// register (<see cref="PgTable"/>), created in one transaction, and the schema-version check.
/// </summary>
internal sealed class PgSchema
{
    /// <summary>The schema version this library writes; a database with a higher one is refused.</summary>
    public const int CurrentVersion = SchemaRules.CurrentVersion;

    private readonly string[] _objects;
    private readonly string _objectsSql;
    private readonly string _createScript;

    /// <summary>Composes the schema from the kinds' pieces, in the order given (the order they are created in, after the engine's objects).</summary>
    public PgSchema(params PgTable[] kinds)
    {
        string[] tables = [PgSql.MetaTable, .. kinds.SelectMany(static k => k.Tables)];
        _objects = [PgSql.MetaTable, PgSql.FencingSequence, .. kinds.SelectMany(static k => k.Tables.Concat(k.Others))];
        if (_objects.FirstOrDefault(static o => o.Length == 0 || !o.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')) is { } bad)
        {
            throw new ArgumentException($"'{bad}' is not a plain lower-case PostgreSQL name.", nameof(kinds));
        }

        if (_objects.Distinct(StringComparer.Ordinal).Count() != _objects.Length)
        {
            throw new ArgumentException("Two kinds declare the same object.", nameof(kinds));
        }

        _objectsSql = PgSql.SchemaObjects(_objects);
        string[] script = [PgSql.CreateMeta, PgSql.CreateFencingSequence, .. kinds.Select(static k => k.CreateScript), PgSql.SetSchemaVersion];
        _createScript = string.Join('\n', script);
        AdminSizeSql = PgSql.AdminSize(tables);
        VacuumSql = PgSql.Vacuum(tables);
    }

    /// <summary>Gets the size on disk of every table of the schema.</summary>
    public string AdminSizeSql { get; }

    /// <summary>Gets a plain <c>VACUUM</c> of every table of the schema.</summary>
    public string VacuumSql { get; }

    /// <summary>Checks the server, refuses a newer schema and creates what is missing (unless creation is off).</summary>
    public async ValueTask<SchemaChange> EnsureAsync(NpgsqlConnection connection, bool createTables, string dataSource, CancellationToken cancellationToken)
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

            await using (var command = connection.Command(_createScript))
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

    private async ValueTask<State> InspectAsync(NpgsqlConnection connection, string dataSource, CancellationToken cancellationToken)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = connection.Command(_objectsSql))
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
        if (present.Contains(PgSql.MetaTable))
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

        return new State(_objects.Where(o => !present.Contains(o)).ToArray(), version);
    }

    private static void Validate(State state, bool createTables, string dataSource) =>
        SchemaRules.Validate(
            state.Version, state.Missing, createTables, $"The PostgreSQL database '{dataSource}'", "objects",
            "Connect once with CreateTables = true (the default), as a role that may create tables, to create them.", dataSource);
}
