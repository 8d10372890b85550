using Npgsql;

namespace AotConsole;

/// <summary>
/// The simulated upstream's storage for the PostgreSQL store: its own tables (<c>aotconsole_upstream_*</c>) in the same
/// database, reached through its own connection pool, so runs on every machine deliver to one upstream as they would to
/// a real remote API. Compiled only into the PostgreSQL flavor of the tool.
/// </summary>
internal sealed class PostgresUpstream : IUpstream
{
    // Two runs may start at once on an empty database: CREATE TABLE IF NOT EXISTS is not safe against itself, so the
    // creation is serialized by a transaction-scoped advisory lock.
    private const string Schema = """
        SELECT pg_advisory_xact_lock(7158001);
        CREATE TABLE IF NOT EXISTS aotconsole_upstream_batches(
            idempotency_key text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY, job text NOT NULL, batch integer NOT NULL,
            records bigint NOT NULL, sum_milli bigint NOT NULL, min_milli bigint NOT NULL, max_milli bigint NOT NULL, accepted_at bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS aotconsole_upstream_jobs(
            job text PRIMARY KEY, batches integer NOT NULL DEFAULT 0, records bigint NOT NULL DEFAULT 0,
            sum_milli bigint NOT NULL DEFAULT 0, ignored_repeats integer NOT NULL DEFAULT 0);
        """;

    private readonly NpgsqlDataSource _source;
    private readonly string _dataSource;

    private PostgresUpstream(NpgsqlDataSource source, string dataSource)
    {
        _source = source;
        _dataSource = dataSource;
    }

    public static async Task<IUpstream> OpenAsync(string connectionString, string dataSource, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName = "aotconsole upstream";
        var upstream = new PostgresUpstream(builder.Build(), dataSource);
        try
        {
            await upstream.InTransactionAsync("create its tables", 0, static async (c, _, ct) =>
            {
                await using var command = new NpgsqlCommand(Schema, c);
                await command.ExecuteNonQueryAsync(ct);
                return 0;
            }, cancellationToken);
            return upstream;
        }
        catch
        {
            upstream.Dispose();
            throw;
        }
    }

    public ValueTask<BatchReceipt> DeliverAsync(string batchId, string job, int batch, BatchAggregate aggregate, DateTimeOffset now, CancellationToken cancellationToken) =>
        InTransactionAsync("apply a batch", (batchId, job, batch, aggregate, now), static async (c, s, ct) =>
        {
            await ExecuteAsync(c, "INSERT INTO aotconsole_upstream_jobs(job) VALUES($1) ON CONFLICT(job) DO NOTHING", ct, s.job);
            long? inserted;
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO aotconsole_upstream_batches(idempotency_key, job, batch, records, sum_milli, min_milli, max_milli, accepted_at) " +
                "VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT(idempotency_key) DO NOTHING RETURNING seq", c))
            {
                Add(insert, s.batchId, s.job, s.batch, (long)s.aggregate.Records, s.aggregate.SumMilli, s.aggregate.MinMilli, s.aggregate.MaxMilli, s.now.ToUnixTimeMilliseconds());
                inserted = (long?)await insert.ExecuteScalarAsync(ct);
            }

            if (inserted is { } sequence)
            {
                await ExecuteAsync(
                    c, "UPDATE aotconsole_upstream_jobs SET batches = batches + 1, records = records + $2, sum_milli = sum_milli + $3 WHERE job = $1",
                    ct, s.job, (long)s.aggregate.Records, s.aggregate.SumMilli);
                return new BatchReceipt(s.batchId, sequence, Repeat: false, s.now);
            }

            await ExecuteAsync(c, "UPDATE aotconsole_upstream_jobs SET ignored_repeats = ignored_repeats + 1 WHERE job = $1", ct, s.job);
            await using var select = new NpgsqlCommand("SELECT seq FROM aotconsole_upstream_batches WHERE idempotency_key = $1", c);
            Add(select, s.batchId);
            return new BatchReceipt(s.batchId, (long)(await select.ExecuteScalarAsync(ct))!, Repeat: true, s.now);
        }, cancellationToken);

    public ValueTask<UpstreamTotals> TotalsAsync(string job, CancellationToken cancellationToken) =>
        InTransactionAsync("read its totals", job, static async (c, job, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT batches, records, sum_milli, ignored_repeats FROM aotconsole_upstream_jobs WHERE job = $1", c);
            Add(command, job);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? new UpstreamTotals(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3))
                : default;
        }, cancellationToken);

    public void Dispose() => _source.Dispose();

    private static async ValueTask ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        Add(command, values);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction. A failure is reported as the upstream's (one line, exit 1): like a
    /// real API's 5xx after a timeout, the caller cannot know whether a batch was applied, and the idempotency key makes
    /// the next run's repeat harmless.
    /// </summary>
    private async ValueTask<T> InTransactionAsync<TState, T>(
        string what, TState state, Func<NpgsqlConnection, TState, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, state, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamStoreException($"the simulated upstream's tables on '{_dataSource}' could not {what}: {e.Message}", e);
        }
    }
}
